"""The site under gunicorn, as in production: one sync worker per core, on 127.0.0.1."""

import http.client
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.endpoints import PROXY_HEADERS

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent


class ServerError(RuntimeError):
    """gunicorn did not start (or is not installed); the message carries its log's tail."""


class Server:
    """A running gunicorn master, stopped on exit from the `with` block."""

    def __init__(self, env, workers, log_path, timeout=60):
        self.env = env
        self.workers = workers
        self.log_path = Path(log_path)
        self.timeout = timeout
        self.process = None
        self.port = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, ready_within=60):
        try:
            import gunicorn  # noqa: F401
        except ImportError:
            raise ServerError("gunicorn is not installed (make setup installs it)") from None
        # Bound here and handed over, so no other process can take the port in between.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, 0))
        listener.listen(1024)
        listener.set_inheritable(True)
        self.port = listener.getsockname()[1]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"fd://{listener.fileno()}",
            "--workers",
            str(self.workers),
            "--timeout",
            str(self.timeout),
            "--graceful-timeout",
            "5",
            "--error-logfile",
            str(self.log_path),
            "--log-level",
            "warning",
            "orgsite.wsgi:application",
        ]
        try:
            self.process = subprocess.Popen(  # noqa: S603
                command,
                env=self.env,
                cwd=ROOT,
                pass_fds=[listener.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            listener.close()
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with {self.process.returncode}: {self._log()}")
            if self._answers("/healthz") and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.1)
        self.stop()
        raise ServerError(f"gunicorn did not answer within {ready_within} s: {self._log()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def get(self, path, timeout=30):
        """(status, body) of one request, for checks outside the measured runs."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=PROXY_HEADERS)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def _answers(self, path):
        try:
            return self.get(path, timeout=2)[0] == 200
        except OSError:
            return False

    def worker_pids(self):
        """The master's children (Linux /proc); empty where /proc is not there."""
        if self.process is None or not Path("/proc").is_dir():
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                # The name is in parentheses and may hold spaces: fields follow the last ")".
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def wait_idle(self, busy_elsewhere=None, longest=60.0, fallback=2.0):
        """Wait until no worker is still busy with requests from a finished run.

        A client that stops leaves requests in the workers; they would be measured against the
        next endpoint. Idle sync workers use no CPU, so wait until theirs stops growing and
        `busy_elsewhere()` (the database server's own view, say) is false. Without /proc,
        sleep `fallback` seconds.
        """
        pids = self.worker_pids()
        if not pids:
            time.sleep(fallback)
            return
        deadline = time.monotonic() + longest
        previous = _cpu_ticks(pids)
        while time.monotonic() < deadline:
            time.sleep(0.1)
            current = _cpu_ticks(pids)
            if current - previous <= 1 and not (busy_elsewhere and busy_elsewhere()):
                return
            previous = current

    def _log(self):
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-15:]) or "(empty log)"


def _cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total
