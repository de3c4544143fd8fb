"""shoplake_daily: the seed's batch orchestrator, one DAG run per logical date.

Each run takes one logical date D (Airflow's ds, UTC) through three steps, in order:

    ingest     shoplake ingest --date D: the FakeStore snapshots and carts of D into RAW,
               committed by a commit in the lake (no warehouse needed)
    transform  shoplake transform --as-of D+1: RAW to STAGING to CORE to the marts, behind
               the data-quality gate (D+1 is the exclusive end of the observed range)
    check      shoplake check: the data-quality results of that transform run

Every step is idempotent (a rerun of a date changes nothing that is already right), so a
failed run is recovered by clearing it (Browse > DAG Runs, or
``airflow tasks clear -s D -e D -y shoplake_daily`` with D the run's logical date and time,
as the alert prints it: the run of date D starts its interval at D 00:05 UTC).
Dates are committed in order: one run at a time (max_active_runs=1), and a date's tasks
wait until the previous date's succeeded (depends_on_past, wait_for_downstream). A date
that keeps failing therefore holds the later ones back, loudly (alerts, timeouts), instead
of letting them commit around a hole; clear it and the later runs once it is fixed.
catchup=True: a new or unpaused deployment backfills one run per date since START_DATE.

Deploying on Amazon MWAA (Airflow 2.4 or later; the same on any Airflow 2 deployment)
-----------------------------------------------------------------------------------
1. Copy this file to the environment's DAGs folder:
       aws s3 cp deploy/airflow/dags/shoplake_daily.py s3://<mwaa-bucket>/dags/
   Set START_DATE below to the first logical date to load before the first deployment.
2. Install the shoplake binary where the workers can run it. shoplake links DuckDB (cgo):
   build it for the workers' platform (MWAA: linux/amd64, Amazon Linux 2023, glibc 2.34),
   for example inside an amazonlinux:2023 container with Go, then ship it as bin/shoplake
   in plugins.zip (MWAA unpacks it under /usr/local/airflow/plugins; keep the executable
   bit, or chmod it from a startup script). The tasks look in the Variable
   shoplake_bin_dir first (default /usr/local/airflow/plugins/bin).
   Alternative without a binary on the workers: run the same command lines in the shoplake
   container image with EcsRunTaskOperator (command ["sh", "-c", INGEST_CMD], the same
   environment as container overrides) or KubernetesPodOperator (cmds ["sh", "-c"],
   arguments [INGEST_CMD]); keep the command constants below, which a Go test parses
   with the real CLI (cmd/shoplake/airflow_test.go).
3. Airflow Variables (Admin > Variables, or the secrets backend, e.g. Secrets Manager
   airflow/variables/<name>):
       shoplake_s3_bucket            required: the lake's bucket (SHOPLAKE_S3_BUCKET)
       shoplake_kinesis_stream       optional: the clickstream (SHOPLAKE_KINESIS_STREAM);
                                     none of these steps reads it, but every shoplake
                                     command of a deployment should see one configuration
       shoplake_email_hash_secret    required: the key of the email HMAC
                                     (SHOPLAKE_WAREHOUSE_EMAIL_HASH_KEY); never change it,
                                     CORE's hashes depend on it. Named *_secret so that
                                     Airflow masks it in logs and rendered templates.
       shoplake_s3_prefix            optional: key prefix in the bucket, ending in '/'
       shoplake_fakestore_base_url   optional: default https://fakestoreapi.com
       shoplake_bin_dir              optional: where the shoplake binary is
       shoplake_alert_emails         optional: comma-separated; turns email_on_failure on
                                     (needs SMTP or SES configured in Airflow). Read when
                                     the file is parsed.
       shoplake_alert_sns_topic_arn  optional: failures are also published to this topic
                                     (needs apache-airflow-providers-amazon, preinstalled on
                                     MWAA, and sns:Publish on the execution role)
       shoplake_aws_conn_id          optional: the AWS connection of the SNS publish
                                     (default aws_default: the worker's role)
   The warehouse: a Postgres-type connection shoplake_redshift (host, port 5439, schema =
   the database, login, password; extra {"sslmode": ...}, default require), or a Variable
   shoplake_redshift_dsn holding a whole DSN (it wins over the connection; keep it in the
   secrets backend, Airflow does not hide that name in the UI). The tasks get
   it as REDSHIFT_DSN, not as a SHOPLAKE_ variable: shoplake rejects SHOPLAKE_ names it
   does not know, and the DSN only reaches shoplake through --postgres.
4. AWS credentials and region come from the workers (the MWAA execution role, AWS_REGION):
   the role needs the lake bucket (s3:GetObject, PutObject, ListBucket) and network access
   to Redshift. No access key belongs in a Variable.
Each task runs in a fresh temporary directory: shoplake's data_dir (./data) is scratch.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.models import Variable
from airflow.operators.bash import BashOperator

log = logging.getLogger(__name__)

# START_DATE is the first logical date the DAG runs for; catchup backfills from it.
START_DATE = pendulum.datetime(2026, 12, 1, tz="UTC")

# The run of date D starts at D+1 00:05 UTC, after D has ended: shoplake's pipeline
# ingests a day five minutes after midnight (pipeline.IngestDelay).
SCHEDULE = "5 0 * * *"

# The command lines. cmd/shoplake/airflow_test.go renders their templates and parses
# them with the real CLI: keep each one a single string literal starting with "shoplake ".
INGEST_CMD = 'shoplake ingest --date {{ ds }} --json'
TRANSFORM_CMD = 'shoplake transform --as-of {{ next_ds }} --postgres "$REDSHIFT_DSN" --json'
CHECK_CMD = 'shoplake check --postgres "$REDSHIFT_DSN" --json'

# The environment of every task, rendered on the worker when the task starts (a missing
# required Variable fails the task with its name). append_env keeps the worker's own
# environment: the execution role's credentials and the region come from it.
SHOPLAKE_ENV = {
    "SHOPLAKE_MODE": "aws",
    "SHOPLAKE_S3_BUCKET": "{{ var.value.shoplake_s3_bucket }}",
    "SHOPLAKE_S3_PREFIX": "{{ var.value.get('shoplake_s3_prefix', '') }}",
    "SHOPLAKE_KINESIS_STREAM": "{{ var.value.get('shoplake_kinesis_stream', 'clickstream') }}",
    "SHOPLAKE_FAKESTORE_BASE_URL": "{{ var.value.get('shoplake_fakestore_base_url', 'https://fakestoreapi.com') }}",
    "SHOPLAKE_WAREHOUSE_EMAIL_HASH_KEY": "{{ var.value.shoplake_email_hash_secret }}",
    "REDSHIFT_DSN": "{{ shoplake_redshift_dsn() }}",
    "PATH": "{{ var.value.get('shoplake_bin_dir', '/usr/local/airflow/plugins/bin') }}:/usr/local/bin:/usr/bin:/bin",
}

# Per-task limits. With 3 retries and backoffs of at most 2+4+8 minutes (times Airflow's
# jitter, below 2), the worst case of the three tasks is about 8 hours; the run's timeout
# is above it, so that retries are never cut short by it.
INGEST_TIMEOUT = timedelta(minutes=30)
TRANSFORM_TIMEOUT = timedelta(minutes=60)
CHECK_TIMEOUT = timedelta(minutes=10)
DAGRUN_TIMEOUT = timedelta(hours=9)


def shoplake_redshift_dsn() -> str:
    """Return the warehouse DSN: the Variable shoplake_redshift_dsn, else one built from
    the connection shoplake_redshift. Registered as a macro, so it runs on the worker when
    the task's environment is rendered, never when the file is parsed."""
    from urllib.parse import quote

    from airflow.hooks.base import BaseHook
    from airflow.utils.log.secrets_masker import mask_secret

    dsn = Variable.get("shoplake_redshift_dsn", default_var=None)
    if not dsn:
        conn = BaseHook.get_connection("shoplake_redshift")
        sslmode = (conn.extra_dejson or {}).get("sslmode", "require")
        dsn = "postgres://{user}:{password}@{host}:{port}/{db}?sslmode={sslmode}".format(
            user=quote(conn.login or "", safe=""),
            password=quote(conn.password or "", safe=""),
            host=conn.host,
            port=conn.port or 5439,
            db=quote(conn.schema or "dev", safe=""),
            sslmode=quote(str(sslmode), safe=""),
        )
    mask_secret(dsn)
    return dsn


def _alert_emails() -> list[str]:
    """The addresses of shoplake_alert_emails; none if it is unset or unreadable (a
    metadata database hiccup must not make the DAG disappear)."""
    try:
        raw = Variable.get("shoplake_alert_emails", default_var="") or ""
    except Exception:  # noqa: BLE001: parsing must survive it
        log.warning("shoplake_daily: cannot read Variable shoplake_alert_emails", exc_info=True)
        return []
    return [a.strip() for a in raw.split(",") if a.strip()]


def _alert(context, what: str) -> None:
    """Log the failure and publish it to the SNS topic of shoplake_alert_sns_topic_arn, if
    set. It never raises: an alert that fails must not hide the failure it reports."""
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    logical = dag_run.logical_date if dag_run is not None else None
    ds = context.get("ds") or (logical.strftime("%Y-%m-%d") if logical else "?")
    # tasks clear selects runs by logical date and time (D 00:05), not by the date alone.
    at = logical.isoformat() if logical else ds
    lines = [
        f"shoplake_daily {what}, logical date {ds}",
        f"run: {dag_run.run_id if dag_run else '?'}",
    ]
    if ti is not None:
        lines.append(f"task: {ti.task_id}, try {ti.try_number}")
        command = getattr(getattr(ti, "task", None), "bash_command", None)
        if command:
            lines.append(f"command: {command}")
        if getattr(ti, "log_url", None):
            lines.append(f"log: {ti.log_url}")
    if context.get("exception") is not None:
        lines.append(f"error: {context['exception']}")
    if context.get("reason"):
        lines.append(f"reason: {context['reason']}")
    lines.append(f"rerun once fixed: airflow tasks clear -s {at} -e {at} -y shoplake_daily")
    message = "\n".join(lines)
    log.error("%s", message)

    try:
        topic = Variable.get("shoplake_alert_sns_topic_arn", default_var=None)
        if not topic:
            return
        conn_id = Variable.get("shoplake_aws_conn_id", default_var="aws_default")
        from airflow.providers.amazon.aws.hooks.sns import SnsHook

        SnsHook(aws_conn_id=conn_id).publish_to_target(
            target_arn=topic,
            message=message,
            subject=lines[0][:100],  # SNS: at most 100 characters, one line
        )
    except Exception:  # noqa: BLE001: see the docstring
        log.exception("shoplake_daily: could not publish the alert to SNS")


def alert_task_failure(context) -> None:
    """on_failure_callback of every task: runs when a task has failed its last try."""
    _alert(context, "task failed")


def alert_dag_run_failure(context) -> None:
    """on_failure_callback of the DAG: alerts for runs that fail without a task failing
    (dagrun_timeout); a task's failure has already alerted through its own callback."""
    if context.get("reason") == "task_failure":
        return
    _alert(context, "run failed")


ALERT_EMAILS = _alert_emails()

default_args = {
    "owner": "shoplake",
    # Dates are committed in order: a date's task waits for the same task of the previous
    # date (and ingest for the previous transform too).
    "depends_on_past": True,
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "on_failure_callback": alert_task_failure,
    "email": ALERT_EMAILS,
    "email_on_failure": bool(ALERT_EMAILS),
    "email_on_retry": False,
}

with DAG(
    dag_id="shoplake_daily",
    description="FakeStore batch ingest, warehouse transform and data-quality check, per logical date",
    doc_md=__doc__,
    schedule=SCHEDULE,
    start_date=START_DATE,
    catchup=True,
    max_active_runs=1,
    dagrun_timeout=DAGRUN_TIMEOUT,
    default_args=default_args,
    on_failure_callback=alert_dag_run_failure,
    user_defined_macros={"shoplake_redshift_dsn": shoplake_redshift_dsn},
    tags=["shoplake"],
) as dag:
    ingest = BashOperator(
        task_id="ingest",
        bash_command=INGEST_CMD,
        env=SHOPLAKE_ENV,
        append_env=True,
        execution_timeout=INGEST_TIMEOUT,
        wait_for_downstream=True,
    )
    transform = BashOperator(
        task_id="transform",
        bash_command=TRANSFORM_CMD,
        env=SHOPLAKE_ENV,
        append_env=True,
        execution_timeout=TRANSFORM_TIMEOUT,
    )
    check = BashOperator(
        task_id="check",
        bash_command=CHECK_CMD,
        env=SHOPLAKE_ENV,
        append_env=True,
        execution_timeout=CHECK_TIMEOUT,
    )

    ingest >> transform >> check
