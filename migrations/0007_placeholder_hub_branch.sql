-- PLACEHOLDER on branch hub only: migrations are numbered without gaps,
-- and 0007 (referral following) and 0008 (witnesses) belong to other
-- branches.  This file only lets 0009_relay.sql apply on this branch; drop
-- it when merging, in favour of the real 0007.
SELECT 1;
