-- Workers claim the inbox in (next_attempt_at, id) order, LIMIT a batch. The index held next_attempt_at only, so each
-- claim read and sorted every claimable row (measured: 4,084 rows sorted to take 32; a backlog of 900,000 makes that
-- the worker's largest cost). With id in the key, a claim walks the index in order and stops after its batch.
DROP INDEX gateway_messages_claimable;
CREATE INDEX gateway_messages_claimable ON gateway_messages (next_attempt_at, id) WHERE state IN ('received', 'retrying');
