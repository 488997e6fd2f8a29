-- Application acknowledgments (HL7 enhanced mode, MSH-16) owed to senders, sent after processing as messages of
-- their own to the address in the source's profile. One row per message; the text holds headers and codes, never
-- message content (ERR carries the rule that failed, not values).
CREATE TABLE gateway_app_acks (
  message_id       uuid PRIMARY KEY REFERENCES gateway_messages (id),
  source_id        uuid NOT NULL REFERENCES gateway_sources (id),
  ack_code         text NOT NULL CHECK (ack_code IN ('AA', 'AE', 'AR')),
  ack_text         text,
  state            text NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'not-wanted')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz
);
CREATE INDEX gateway_app_acks_due ON gateway_app_acks (next_attempt_at) WHERE state = 'pending';
