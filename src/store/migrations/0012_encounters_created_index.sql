-- The gateway looks, every few seconds, at encounters registered in the last minutes (to link facts that named their
-- visit while another worker was registering it). Without this index that look is a scan of every encounter.
CREATE INDEX encounters_created ON encounters (created_at);
