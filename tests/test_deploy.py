"""The city deployment in deploy/ holds together without Docker: every process it starts is a command this
project has, every variable it sets is one the code reads, nginx's upstreams are the compose services on the
ports they listen on, and nginx accepts its configuration (when nginx is installed here)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
yaml = pytest.importorskip("yaml", reason="PyYAML is not installed: the compose file is not parsed")

APP_COMMANDS = {"jingwu", "gunicorn"}
# Variables only compose.yaml itself interpolates (ports, sizes, the postgres image's own), never the app.
COMPOSE_ONLY = {
    "POSTGRES_PASSWORD",
    "REPLICATION_PASSWORD",
    "MQTT_BRIDGE_PASSWORD",
    "HTTP_PORT",
    "HTTPS_PORT",
    "HJ212_PORT",
    "MQTT_PORT",
    "PG_SHARED_BUFFERS",
    "PG_MAX_CONNECTIONS",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())  # type: ignore[no-any-return]


def app_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose["services"].items() if "build" in s}


def env_example() -> dict[str, str]:
    out = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def read_by_the_code(name: str) -> bool:
    """A variable the project reads: its name quoted in the Python sources (settings.py's env(), a command's
    os.environ.get)."""
    quoted = (f'"{name}"', f"'{name}'")
    return any(q in p.read_text() for p in (ROOT / "jingwu").rglob("*.py") for q in quoted)


def test_the_city_has_every_process(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("nginx", "migrate", "db-primary", "db-replica", "redis", "mosquitto", "minio", "mqtt", "hj212"):
        assert name in services, name
    apps = app_services(compose)
    gunicorns = [n for n, s in apps.items() if s["command"][0] == "gunicorn"]
    workers = [n for n, s in apps.items() if s["command"][:2] == ["jingwu", "worker"]]
    assert len(gunicorns) >= 2 and len(workers) >= 2, (gunicorns, workers)
    assert services["minio"].get("profiles") == ["s3"]  # optional


def test_every_command_exists_in_the_project(compose: dict[str, Any]) -> None:
    from django.core.management import get_commands

    from jingwu.cli import COMMANDS

    commands = get_commands()
    for name, service in app_services(compose).items():
        command = service["command"]
        assert command[0] in APP_COMMANDS, (name, command)
        if command[0] == "jingwu":
            sub = command[1]
            django_name = COMMANDS[sub][0] if sub in COMMANDS else sub.replace("-", "_")
            assert django_name in commands, f"{name}: no command {sub}"
        else:
            target = next(a for a in command[1:] if not a.startswith("-"))
            module, _, attr = target.partition(":")
            assert callable(getattr(import_module(module), attr)), f"{name}: {target}"


def test_migrations_run_once_before_the_rest(compose: dict[str, Any]) -> None:
    apps = app_services(compose)

    def migrates(service: dict[str, Any]) -> bool:
        # `jingwu serve` migrates too, unless told not to, by option or by its environment.
        command = service["command"]
        told = str(service.get("environment", {}).get("JINGWU_SERVE_MIGRATE", "true")).lower()
        quiet = "--no-migrate" in command or told in ("0", "false", "no", "off")
        return "migrate" in command or ("serve" in command and not quiet)

    migrating = [n for n, s in apps.items() if migrates(s)]
    assert migrating == ["migrate"], migrating
    for name, service in apps.items():
        if name in ("migrate", "collectstatic"):
            continue
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
    assert apps["migrate"]["restart"] == "no"


def test_every_variable_is_one_the_code_reads(compose: dict[str, Any]) -> None:
    names = set(env_example())
    for service in app_services(compose).values():
        names |= set(service.get("environment", {}))
    unread = sorted(n for n in names - COMPOSE_ONLY if not read_by_the_code(n))
    assert not unread, f"set in deploy/ but read by nothing in jingwu/: {unread}"
    text = (DEPLOY / "compose.yaml").read_text()
    for name in COMPOSE_ONLY:
        assert f"${{{name}" in text, f"{name} is declared compose-only but compose.yaml does not use it"
    # The app takes the replica and the photo store from the variables settings.py reads.
    env = next(iter(app_services(compose).values()))["environment"]
    assert {"DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL"} <= set(env)
    assert "@db-replica:" in env["DATABASE_REPLICA_URL"] and "@db-primary:" in env["DATABASE_URL"]


def test_the_files_compose_mounts_and_the_dockerfile_copies_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists() or source == "./nginx/certs", f"{name}: {source}"
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY") and "--from=" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    assert "-r requirements.lock" in dockerfile and "--no-deps -e ." in dockerfile
    assert "npm ci" in dockerfile and "collectstatic" in dockerfile
    for script in (DEPLOY / "postgres").glob("*.sh"):
        assert script.stat().st_mode & 0o111, f"{script} is not executable"
        done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr


def test_nginx_sends_to_the_services_on_their_ports(compose: dict[str, Any]) -> None:
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    apps = app_services(compose)

    def port_of(service: str) -> str:
        args = " ".join(apps[service]["command"])
        found = re.search(r"--bind[= ]\S*:(\d+)", args)
        assert found, f"{service} binds no port"
        return found.group(1)

    upstreams = re.findall(r"^\s*server\s+([\w-]+):(\d+)", conf, re.M)
    assert upstreams, "no upstream servers"
    for host, port in upstreams:
        assert host in apps, f"nginx sends to {host}, which compose does not run"
        assert port_of(host) == port, (host, port)
    gunicorns = {n for n, s in apps.items() if s["command"][0] == "gunicorn"}
    assert gunicorns <= {h for h, _ in upstreams}, "an app node nginx does not send to"
    assert re.search(r"client_max_body_size\s+\d+m;", conf) and "X-Forwarded-Proto" in conf
    assert "listen 6000;" in conf and "stream {" in conf


def test_the_app_believes_x_forwarded_for_from_nginx_only(compose: dict[str, Any]) -> None:
    """nginx appends the client to X-Forwarded-For; the app reads it only from nginx's fixed address, which no
    other container can be given and which is not the network's gateway (Docker's userland proxy hands nginx
    clients from the gateway's address)."""
    import ipaddress

    (network,) = compose["networks"]["default"]["ipam"]["config"]
    subnet = ipaddress.ip_network(network["subnet"])
    dynamic = ipaddress.ip_network(network["ip_range"])
    nginx = ipaddress.ip_address(compose["services"]["nginx"]["networks"]["default"]["ipv4_address"])
    assert dynamic.subnet_of(subnet) and nginx in subnet and nginx not in dynamic
    assert nginx != next(subnet.hosts()), "nginx would have the gateway's address"
    for name, service in app_services(compose).items():
        assert service["environment"]["JINGWU_TRUSTED_PROXIES"] == str(nginx), name
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf


def _self_signed(folder: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jingwu.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir()
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx is None:
        pytest.skip("nginx is not installed here (Debian: apt-get install nginx libnginx-mod-stream): nginx -t skipped")
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    # Outside compose: no `nginx` user, and the service names resolve to nothing; everything else as shipped.
    conf = re.sub(r"^user .*;$", "", conf, flags=re.M)
    conf = re.sub(r"(^\s*server\s+)[\w-]+(:\d+)", r"\g<1>127.0.0.1\2", conf, flags=re.M)
    version = subprocess.run([nginx, "-V"], capture_output=True, text=True, check=False).stderr
    if "--with-stream=dynamic" in version:
        module = next(Path("/usr/lib/nginx/modules").glob("ngx_stream_module.so"), None)
        if module is None:
            pytest.skip("this nginx has the stream module as a package not installed (libnginx-mod-stream)")
        conf = f"load_module {module};\n{conf}"
    (tmp_path / "nginx.conf").write_text(conf)
    _self_signed(tmp_path / "certs")
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
