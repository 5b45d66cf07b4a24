-- SoftCollection's tables on Postgres, as the embedded runtime and the tests create them. In production they
-- are the bank's Oracle tables DSSB_APP.*, SPSS_USER_DRACRM.SC_1_120 and SPSS.SC_THEORY_USERS: almanac
-- reads the sources, writes the three assignment tables, and never creates any of them.
CREATE TABLE IF NOT EXISTS dssb_app.softcollection_theories (
    theory_id         varchar(50) PRIMARY KEY,
    theory_name       varchar(255) NOT NULL,
    theory_start_date date NOT NULL,
    theory_end_date   date NOT NULL
);
CREATE TABLE IF NOT EXISTS spss_user_dracrm.sc_1_120 (
    iin       varchar(12) NOT NULL,
    count_day integer NOT NULL
);
CREATE INDEX IF NOT EXISTS sc_1_120_count_day_idx ON spss_user_dracrm.sc_1_120 (count_day);

CREATE TABLE IF NOT EXISTS dssb_app.sc_local_control (
    iin varchar(12) NOT NULL, theory_id varchar(50) NOT NULL, date_start date NOT NULL, date_end date NOT NULL,
    insert_datetime timestamp NOT NULL,
    tab1 varchar(255), tab2 varchar(255), tab3 varchar(255), tab4 varchar(255), tab5 varchar(255),
    UNIQUE (iin, theory_id, date_start)
);
CREATE TABLE IF NOT EXISTS dssb_app.sc_local_target (LIKE dssb_app.sc_local_control INCLUDING ALL);
CREATE TABLE IF NOT EXISTS spss.sc_theory_users (LIKE dssb_app.sc_local_control INCLUDING ALL);
