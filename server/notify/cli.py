"""Command-line entry points of the notification work.

`flask --app server notify drain`: plan and send once (cron without Redis, or by hand).
`flask --app server jobs worker`: an RQ worker for the notify and exports queues (one or more).
`flask --app server jobs cron`: the RQ cron scheduler that queues the pump and the tick.
`flask --app server jobs run-due`: run the scheduled jobs due now (a cron entry's alternative).
"""

import json

import click
from flask.cli import AppGroup

from server.notify.pump import pump

notify_cli = AppGroup("notify", help="Group-chat and personal notifications.")
jobs_cli = AppGroup("jobs", help="Background work: RQ worker, cron scheduler, scheduled jobs.")


@notify_cli.command("drain")
def drain_command():
    """Plan deliveries for new events, then send every due one."""
    counts = pump()
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


@jobs_cli.command("run-due")
def run_due_command():
    """Run every scheduled job whose period has not run yet, then send what they wrote."""
    from server.notify.schedule import run_due

    done = run_due()
    click.echo(json.dumps({"jobs": done, "pump": pump()}, ensure_ascii=False, default=str))


def _need_redis():
    from flask import current_app

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "REDIS_URL is not set: without Redis each API process sends by itself "
            "(NOTIFY_IN_PROCESS), or run `flask --app server jobs run-due` from cron"
        )


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
def worker_command(burst, name):
    """Run queued background jobs in this app: notifications first, then the console's
    exports (an RQ SimpleWorker: no fork per job)."""
    from rq.worker import SimpleWorker

    from server.platform.rq_queues import all_queues, connection

    _need_redis()
    worker = SimpleWorker(all_queues(), connection=connection(), name=name)
    worker.work(burst=burst, logging_level="WARNING")


@jobs_cli.command("cron")
def cron_command():
    """Queue a pump every 15 s and the scheduled jobs' tick every minute (RQ's cron)."""
    from rq.cron import CronScheduler

    from server.notify import rq_jobs

    _need_redis()
    cron = CronScheduler(connection=rq_jobs.connection(), logging_level="WARNING")
    name = rq_jobs.queue().name
    cron.register(rq_jobs.pump_job, name, interval=rq_jobs.PUMP_EVERY, job_timeout=600)
    cron.register(rq_jobs.tick_job, name, interval=rq_jobs.TICK_EVERY, job_timeout=1800)
    cron.start()
