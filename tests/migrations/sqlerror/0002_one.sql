CREATE TABLE t_one (id integer PRIMARY KEY);
