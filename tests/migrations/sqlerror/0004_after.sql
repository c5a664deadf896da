CREATE TABLE t_after (id integer);
