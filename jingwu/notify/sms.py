"""SMS through the HTTP APIs of the common Chinese providers, each signed as its documentation says.

- ``aliyun``: 阿里云短信 (dysmsapi ``SendSms``, RPC style, HMAC-SHA1 signature over the sorted query).
- ``tencent``: 腾讯云短信 (``SendSms`` 2021-01-11, TC3-HMAC-SHA256 signature of the JSON request).

Settings: ``JINGWU_SMS_PROVIDER``, ``JINGWU_SMS_KEY_ID``, ``JINGWU_SMS_KEY_SECRET``, ``JINGWU_SMS_SIGN_NAME``,
``JINGWU_SMS_TEMPLATE`` (the template id, whose parameters are the notification's title and case number),
``JINGWU_SMS_APP_ID`` (Tencent's SmsSdkAppId) and ``JINGWU_SMS_ENDPOINT`` (the provider's by default; a
local server in tests or behind a government network's proxy).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from jingwu.lib.errors import ServiceError

ENDPOINTS = {"aliyun": "https://dysmsapi.aliyuncs.com/", "tencent": "https://sms.tencentcloudapi.com/"}


class SmsError(ServiceError):
    status = 502
    code = "sms_failed"


def _encode(value: str) -> str:
    # Aliyun's percent-encoding: RFC 3986, with space as %20 and ~ kept.
    return quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_encode('/')}&{_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _aliyun(phone: str, values: dict[str, str]) -> None:
    params = {
        "AccessKeyId": settings.JINGWU_SMS_KEY_ID,
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": phone,
        "RegionId": "cn-hangzhou",
        "SignName": settings.JINGWU_SMS_SIGN_NAME,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": secrets.token_hex(16),
        "SignatureVersion": "1.0",
        "TemplateCode": settings.JINGWU_SMS_TEMPLATE,
        "TemplateParam": json.dumps(values, ensure_ascii=False),
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }
    params["Signature"] = aliyun_signature(params, settings.JINGWU_SMS_KEY_SECRET)
    response = httpx.get(settings.JINGWU_SMS_ENDPOINT or ENDPOINTS["aliyun"], params=params, timeout=10)
    body = _json(response)
    if response.status_code != 200 or body.get("Code") != "OK":
        raise SmsError(f"aliyun: {body.get('Code') or response.status_code} {body.get('Message', '')}"[:200])


def tencent_authorization(payload: str, timestamp: int, secret_id: str, secret_key: str, host: str) -> str:
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json; charset=utf-8\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload.encode()).hexdigest(),
        ]
    )
    scope = f"{day}/sms/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(f"TC3{secret_key}".encode(), day), "sms"), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


def _tencent(phone: str, values: dict[str, str]) -> None:
    endpoint = settings.JINGWU_SMS_ENDPOINT or ENDPOINTS["tencent"]
    host = httpx.URL(endpoint).host
    number = phone if phone.startswith("+") else f"+86{phone}"
    payload = json.dumps(
        {
            "PhoneNumberSet": [number],
            "SmsSdkAppId": settings.JINGWU_SMS_APP_ID,
            "SignName": settings.JINGWU_SMS_SIGN_NAME,
            "TemplateId": settings.JINGWU_SMS_TEMPLATE,
            "TemplateParamSet": [values["title"], values["case"]],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    now = int(time.time())
    headers = {
        "Authorization": tencent_authorization(
            payload, now, settings.JINGWU_SMS_KEY_ID, settings.JINGWU_SMS_KEY_SECRET, host
        ),
        "Content-Type": "application/json; charset=utf-8",
        "Host": host,
        "X-TC-Action": "SendSms",
        "X-TC-Timestamp": str(now),
        "X-TC-Version": "2021-01-11",
        "X-TC-Region": "ap-guangzhou",
    }
    response = httpx.post(endpoint, content=payload.encode(), headers=headers, timeout=10)
    body = _json(response).get("Response", {})
    status = (body.get("SendStatusSet") or [{}])[0]
    if response.status_code != 200 or "Error" in body or status.get("Code") != "Ok":
        error = body.get("Error", {}) or status
        raise SmsError(f"tencent: {error.get('Code', response.status_code)} {error.get('Message', '')}"[:200])


def _json(response: Any) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


PROVIDERS = {"aliyun": _aliyun, "tencent": _tencent}


def send_sms(phone: str, values: dict[str, str]) -> None:
    provider = PROVIDERS.get(settings.JINGWU_SMS_PROVIDER)
    if provider is None:
        raise SmsError(f"unknown SMS provider {settings.JINGWU_SMS_PROVIDER!r}")
    provider(phone, values)
