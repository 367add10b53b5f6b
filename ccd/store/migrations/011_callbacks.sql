-- Callbacks that keep the caller's place in line (ccd.callbacks). One row per callback,
-- upserted on every change; open ones (pending, dialling) are loaded back on start-up.
-- enqueued_at + seq is the place in line of the live call the callback replaces.

CREATE TABLE callbacks (
    id           text COLLATE "C" PRIMARY KEY,
    queue        text COLLATE "C" NOT NULL,
    number       text        NOT NULL,
    priority     int         NOT NULL,
    enqueued_at  timestamptz NOT NULL,
    seq          bigint      NOT NULL,
    requested_at timestamptz NOT NULL,
    status       text        NOT NULL
                 CHECK (status IN ('pending', 'dialling', 'connected', 'failed', 'expired',
                                   'cancelled')),
    attempts     int         NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_try_at  timestamptz NOT NULL,
    reason       text,
    ended_at     timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The open callbacks of a queue in service order (the restart and the API read this).
CREATE INDEX callbacks_open_idx ON callbacks (queue, priority DESC, enqueued_at, seq)
    WHERE status IN ('pending', 'dialling');
-- At most one open callback per number and queue (requests from the same number merge).
CREATE UNIQUE INDEX callbacks_open_number_idx ON callbacks (queue, number)
    WHERE status IN ('pending', 'dialling');
