"""Every log line the gateway writes passes through the same masking as what agents see: phone, ID card and
bank card numbers never reach a log file; nor do credentials in a logged URL (WeChat's token request carries
`secret=` in its query string, and a failed call logs that URL)."""
from __future__ import annotations

import logging
import re

from core.masking import mask_text

_CREDENTIAL = re.compile(r"((?:app)?secret|access_token|token|password|passwd)=([^&\s'\"]+)", re.IGNORECASE)


def redact(text: str) -> str:
    return mask_text(_CREDENTIAL.sub(r"\1=***", text))


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install() -> None:
    """Adds the filter to every handler of the root and uvicorn loggers (idempotent)."""
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access", "gateway"):
        logger = logging.getLogger(name)
        for handler in logger.handlers or []:
            if not any(isinstance(f, MaskingFilter) for f in handler.filters):
                handler.addFilter(MaskingFilter())
        if not any(isinstance(f, MaskingFilter) for f in logger.filters):
            logger.addFilter(MaskingFilter())
