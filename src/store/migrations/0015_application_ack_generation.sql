-- A message worked again (reprocess, replay) that ends otherwise than its application acknowledgment said is owed the
-- new answer: its row is queued afresh under a new generation. A sender still busy with the old answer records its
-- outcome only for the generation it claimed, so it cannot mark the new answer sent, nor write its text over it.
ALTER TABLE gateway_app_acks ADD COLUMN generation integer NOT NULL DEFAULT 1;
