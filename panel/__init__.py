"""The admin panel: its front door and overview, its navigation, the URL map of its sections,
and the pages about people (the People list and a person's page, groups, Hearth admins), which
combine the people core with seats, sync history and invitations.

The top of the house: it composes the apps below and nothing imports it. Pages that belong to
one app live with that app and are mapped here into the panel's sections: the Integrations tab
and the G Suite settings (integrations), the Licenses page (licenses), inviting an admin
(invitations). Templates of every app extend the panel's layout (templates/layouts/panel.html)
and use its template tags (panel_extras, hearth_forms).
"""
