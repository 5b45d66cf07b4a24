"""almanac: calendar-driven data jobs on Apache Airflow 3.

DAG files in ``dags/`` stay thin; the logic of each job lives in one package per domain
(``almanac.discourse``, ``almanac.learning``, ``almanac.softcollection``, ``almanac.productivity``,
``almanac.tutoring``). Shared pieces: ``calendar`` (business dates, trimesters), ``notify`` (Slack),
``db`` (idempotent writes), ``dag_defaults`` (the settings every DAG shares), ``warehouse``
(the schemas the embedded runtime and the tests create).
"""
