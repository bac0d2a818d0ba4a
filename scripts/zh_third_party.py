"""Chinese for the third-party apps seen in the administration (django-axes, django-otp, django-tasks), which
ship no Chinese of their own: ``.venv/bin/python scripts/zh_third_party.py`` writes
jingwu/locale/zh_Hans/LC_MESSAGES/django.po and compiles it (gettext's msgfmt). Django's own apps have Chinese
already. LOCALE_PATHS come first, so these entries win."""

ZH = {
    # django-axes
    "Axes": "登录防护",
    "Access Attempt": "登录尝试",
    "access attempt": "登录尝试",
    "access attempts": "登录尝试",
    "access attempt expiration": "锁定到期",
    "access attempt expirations": "锁定到期",
    "access failure": "登录失败",
    "access failures": "登录失败",
    "access log": "登录日志",
    "access logs": "登录日志",
    "Access lock out": "锁定",
    "Attempt Time": "尝试时间",
    "Expires At": "到期时间",
    "Failed Logins": "失败次数",
    "GET Data": "GET 参数",
    "POST Data": "POST 参数",
    "HTTP Accept": "HTTP Accept",
    "IP Address": "IP 地址",
    "Logout Time": "退出时间",
    "Path": "路径",
    "Session key hash (sha256)": "会话密钥摘要（SHA-256）",
    "User Agent": "浏览器标识",
    "Username": "用户名",
    "The time when access attempt expires and is no longer valid.": "这次尝试的锁定到期、不再生效的时间。",
    # django-otp
    "Django_Otp": "双因素认证",
    "Otp_Totp": "动态口令",
    "TOTP device": "动态口令设备",
    "TOTP devices": "动态口令设备",
    "name": "名称",
    "confirmed": "已确认",
    "key": "密钥",
    "step": "时间步长",
    "t0": "起始时间",
    "digits": "位数",
    "tolerance": "容差",
    "drift": "时钟偏差",
    "last t": "最近时间步",
    "user": "用户",
    "created at": "创建时间",
    "last used at": "最近使用时间",
    "throttling failure count": "连续失败次数",
    "throttling failure timestamp": "最近失败时间",
    "A hex-encoded secret key of up to 40 bytes.": "十六进制编码的密钥，最长40字节。",
    "A timestamp of the last failed verification attempt. Null if last attempt succeeded.": (
        "最近一次验证失败的时间；最近一次成功时为空。"
    ),
    "Is this device ready for use?": "此设备是否已可使用？",
    "Number of successive failed attempts.": "连续失败的次数。",
    "The Unix time at which to begin counting steps.": "开始计算时间步的 Unix 时间。",
    "The date and time when this device was initially created in the system.": "此设备在系统中创建的时间。",
    "The human-readable name of this device.": "此设备的名称。",
    "The most recent date and time this device was used.": "此设备最近一次使用的时间。",
    "The number of digits to expect in a token.": "口令的位数。",
    "The number of time steps in the past or future to allow.": "允许前后相差的时间步数。",
    "The number of time steps the prover is known to deviate from our clock.": "设备时钟与服务器相差的时间步数。",
    "The t value of the latest verified token. The next token must be at a higher time step.": (
        "最近一次验证通过的时间步；下一个口令必须在更晚的时间步。"
    ),
    "The time step in seconds.": "时间步长（秒）。",
    "The user that this device belongs to.": "设备所属的用户。",
    "Locked Out": "已锁定",
    # Django 5's admin (visually hidden table headers that its Chinese does not have yet)
    "Model name": "模型名称",
    "Add link": "添加链接",
    "Change or view list link": "修改或查看列表链接",
    "After you’ve created a user, you’ll be able to edit more user options.": "创建用户后，可以再编辑更多选项。",
    # django-tasks (database backend)
    "Tasks Database Backend": "后台任务",
    "Task Result": "任务结果",
    "Task Results": "任务结果",
    "Ready": "待运行",
    "Running": "运行中",
    "Failed": "失败",
    "Successful": "成功",
    "id": "编号",
    "ID": "编号",
    "status": "状态",
    "priority": "优先级",
    "task path": "任务",
    "args kwargs": "参数",
    "queue name": "队列",
    "backend name": "后端",
    "enqueued at": "入队时间",
    "run after": "最早运行时间",
    "started at": "开始时间",
    "finished at": "结束时间",
    "return value": "返回值",
    "exception class path": "异常类型",
    "traceback": "错误堆栈",
    "worker id": "工作进程",
    "app label": "应用",
}


# Strings with a context (pgettext): (context, English) → Chinese.
ZH_CONTEXT = {
    ("Task", "Ready"): "待运行",
    ("Task", "Running"): "运行中",
    ("Task", "Failed"): "失败",
    ("Task", "Successful"): "成功",
}


def po_text() -> str:
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    head = [
        'msgid ""',
        'msgstr ""',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Language: zh_Hans\\n"',
        "",
    ]
    body = [f"msgid {quote(k)}\nmsgstr {quote(v)}\n" for k, v in sorted(ZH.items())]
    body += [
        f"msgctxt {quote(ctx)}\nmsgid {quote(k)}\nmsgstr {quote(v)}\n" for (ctx, k), v in sorted(ZH_CONTEXT.items())
    ]
    return "\n".join(head) + "\n" + "\n".join(body)


if __name__ == "__main__":
    import pathlib
    import subprocess

    po = pathlib.Path(__file__).resolve().parent.parent / "jingwu" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text(po_text(), encoding="utf-8")
    subprocess.run(["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
