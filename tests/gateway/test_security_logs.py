"""No personal number and no secret in any log line: messages, arguments and tracebacks pass the same masking
as agent views, and credentials in logged URLs are redacted. (The WeChat tests also grep the running gateway's log
for the app secret: tests/gateway/test_wechat.py.)"""
from __future__ import annotations

import logging

from gateway import log_masking
from gateway.log_masking import MaskingFilter


def test_log_lines_are_masked(caplog) -> None:
    from gateway.log_masking import MaskingFilter

    logger = logging.getLogger("gateway.test")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="gateway.test"):
        logger.info("customer %s said: 身份证%s", "13812345678", "110101199003071234")
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text
    assert "110101199003071234" not in caplog.text


def test_credentials_in_a_logged_url_are_redacted(caplog) -> None:
    from gateway.log_masking import MaskingFilter

    logger = logging.getLogger("gateway.test.secrets")
    logger.addFilter(MaskingFilter())
    url = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s3cr3t-value"
    with caplog.at_level(logging.WARNING, logger="gateway.test.secrets"):
        try:
            raise ConnectionError(f"failed: {url}")
        except ConnectionError:
            logger.exception("token fetch failed for %s", url)
    assert "s3cr3t-value" not in caplog.text and "secret=***" in caplog.text



def test_an_error_traceback_carries_the_customers_input_masked(caplog) -> None:
    logger = logging.getLogger("gateway.test.errors")
    logger.addFilter(MaskingFilter())
    customer_text = "我的手机13812345678，身份证110101199003071234，银行卡6222 0212 3456 7890 123"
    with caplog.at_level(logging.ERROR, logger="gateway.test.errors"):
        try:
            raise ValueError(f"could not handle message {customer_text!r}")
        except ValueError:
            logger.exception("turn failed for %s", customer_text)
    assert caplog.records and "138****5678" in caplog.text
    for raw in ("13812345678", "110101199003071234", "0212 3456 7890"):
        assert raw not in caplog.text


def test_the_filter_sits_on_the_servers_own_loggers() -> None:
    """uvicorn logs an application's traceback through uvicorn.error: the filter must be there too."""
    handler = logging.StreamHandler()
    logging.getLogger("uvicorn.error").addHandler(handler)
    try:
        log_masking.install()
        assert any(isinstance(f, MaskingFilter) for f in logging.getLogger("uvicorn.error").filters)
        assert any(isinstance(f, MaskingFilter) for f in handler.filters)
    finally:
        logging.getLogger("uvicorn.error").removeHandler(handler)
