-- PLACEHOLDER on branch witness only: migrations are numbered without
-- gaps, and 0007 (referral following) belongs to another branch.  This
-- file only lets 0008_witness.sql apply on this branch; drop it when
-- merging, in favour of the real 0007.
SELECT 1;
