"""The worker as a real process: `catalogue notify run --once` killed with
SIGKILL in the middle of a batch resumes without losing or repeating a
delivery, and two workers at once do not both send."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from catalogue.config import Settings
from catalogue.notify_models import Notification
from catalogue.services import assets
from catalogue.store import Catalogue
from tests.notify.conftest import ADMIN, ANALYST, Mailbox, smtp_server
from tests.notify.test_mail import watch
from tests.serving import CATALOGUE

pytestmark = pytest.mark.slow
CHANGES = 240


class SlowMailbox(Mailbox):
    """A relay that takes a little while over each message, as real ones do."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def worker_env(settings: Settings, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "CATALOGUE_DATABASE_URL": settings.resolved_database_url,
        "CATALOGUE_INSTANCE_PATH": str(settings.instance_path),
        "CATALOGUE_SMTP_HOST": "127.0.0.1",
        "CATALOGUE_SMTP_PORT": str(smtp_port),
        "CATALOGUE_SMTP_SECURITY": "none",
        "CATALOGUE_MAIL_FROM": "catalogue@thamesbury.gov.uk",
    }


def notify_once(env: dict[str, str]) -> subprocess.Popen:
    """`catalogue notify run --once` as a process of its own."""
    return subprocess.Popen([CATALOGUE, "notify", "run", "--once"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def many_changes(cat: Catalogue) -> None:
    """CHANGES newsworthy changes to one watched asset, in one transaction."""
    with cat.write(ADMIN) as writer:
        for i in range(CHANGES):
            access = "open" if i % 2 == 0 else "internal"
            assets.update(writer, "arrears-by-ward", {"access": access})


def outbox_keys(cat: Catalogue) -> set[str]:
    with cat.read() as session:
        return set(session.scalars(select(Notification.idempotency_key)))


@pytest.fixture
def slow_mailbox(smtp_port: int) -> Any:
    with smtp_server(SlowMailbox(), smtp_port) as box:
        yield box


def test_a_worker_killed_mid_batch_resumes_with_no_loss_and_no_repeat(
    chain: Catalogue, settings: Settings, smtp_port: int, slow_mailbox: SlowMailbox
) -> None:
    watch(chain, ANALYST, "arrears-by-ward")
    many_changes(chain)
    env = worker_env(settings, smtp_port)
    worker = notify_once(env)
    deadline = time.monotonic() + 120
    while len(slow_mailbox.messages) < CHANGES // 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert worker.returncode == -signal.SIGKILL
    assert CHANGES // 3 <= len(slow_mailbox.messages) < CHANGES, "killed mid-batch"
    again = subprocess.run([CATALOGUE, "notify", "run", "--once"], env=env,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr
    received = Counter(m["Message-ID"] for m in slow_mailbox.messages)
    assert len(received) == CHANGES == len(outbox_keys(chain))  # nothing lost
    repeated = [mid for mid, n in received.items() if n > 1]
    # At most the one message in flight at the kill is sent again, under the same Message-ID.
    assert len(repeated) <= 1 and all(received[m] == 2 for m in repeated)


def test_two_workers_at_once_one_sends_and_the_other_waits(
    chain: Catalogue, settings: Settings, smtp_port: int, slow_mailbox: SlowMailbox
) -> None:
    watch(chain, ANALYST, "arrears-by-ward")
    many_changes(chain)
    env = worker_env(settings, smtp_port)
    workers = [notify_once(env) for _ in range(2)]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert any("Another notify worker is running; waiting" in err for _, err in outputs)
    received = Counter(m["Message-ID"] for m in slow_mailbox.messages)
    assert len(received) == CHANGES and set(received.values()) == {1}
