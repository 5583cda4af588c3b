"""Structured logging: stdlib logging rendered by structlog, one event per line.

django-structlog binds a request id to every request and carries it into the Celery tasks the
request enqueues, so a support engineer can follow one click through web and worker logs.

No log line carries a secret URL: the finalize and invitation tokens, allauth's keys and OAuth
codes are replaced by "[redacted]" (config.security knows which URLs those are). structlog
events are redacted by a processor before they leave structlog; records of the standard library
loggers (Django's "Not Found: /path", runserver's access lines) by a filter on the one handler,
to which every logger propagates — Django's own handlers for `django` and `django.server` are
replaced, so nothing bypasses it; and the handler's formatter redacts once more what only exists
when a line is written: tracebacks. A handler added to LOGGING must use both.
"""

import logging

import structlog

from config.security import redact_secrets

REDACTION_FAILED = "[log message withheld: it could not be checked for secrets]"


def redact_secrets_processor(logger, method_name: str, event_dict: dict) -> dict:
    """structlog processor: redact secret URLs in every string value of the event."""
    for name, value in event_dict.items():
        if isinstance(value, str):
            try:
                event_dict[name] = redact_secrets(value)
            except Exception:  # noqa: BLE001 - a log call must never fail, nor leak unchecked text
                event_dict[name] = REDACTION_FAILED
    return event_dict


class RedactSecretsFilter(logging.Filter):
    """Redact secret URLs in a standard-library record's message and arguments, in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):  # a structlog event, redacted by the processor
            return True
        try:
            record.msg = redact_secrets(str(record.msg))
            if isinstance(record.args, tuple):
                record.args = tuple(
                    redact_secrets(arg) if isinstance(arg, str) else arg for arg in record.args
                )
            elif isinstance(record.args, dict):
                record.args = {
                    key: redact_secrets(arg) if isinstance(arg, str) else arg
                    for key, arg in record.args.items()
                }
        except Exception:  # noqa: BLE001 - a log call must never fail, nor leak unchecked text
            record.msg, record.args = REDACTION_FAILED, ()
        return True


def structured_logging(*, level: str, json: bool) -> dict:
    """Configure structlog and return the LOGGING dict for Django's dictConfig."""
    shared_processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.TimeStamper(fmt="iso"),
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
    ]
    structlog.configure(
        processors=[
            *shared_processors,
            structlog.stdlib.filter_by_level,
            redact_secrets_processor,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    # Tracebacks (of standard-library records too) as text, redacted like the
                    # rest: an exception's message may quote a request and its path.
                    structlog.processors.format_exc_info,
                    redact_secrets_processor,
                    renderer,
                ],
                "foreign_pre_chain": shared_processors,
            },
        },
        "filters": {"redact_secrets": {"()": RedactSecretsFilter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "filters": ["redact_secrets"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's defaults give these their own handlers (plain text, not redacted, and
            # twice in DEBUG); here they propagate to the one handler above.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            "django.db.backends": {"level": logging.getLevelName(logging.WARNING)},
            "django_structlog": {"level": level},
        },
    }
