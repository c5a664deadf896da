-- this migration fails half way: nothing of it may stay
CREATE TABLE t_half (id integer);

INSERT INTO t_half VALUES (1);
SELEKT broken;
