-- A hop's follow-up, looked up by its parent.
--
-- Reading a hop says whether a hop follows it (EXISTS ... WHERE parent_id
-- = the hop), and the daemon's start finds the hops still open (those that
-- nothing follows).  Without an index on parent_id each of these scanned
-- every hop ever stored: a cost that grew with the table, on every step of
-- every chain and at every start.

CREATE INDEX trace_hop_parent ON trace_hop (parent_id);
