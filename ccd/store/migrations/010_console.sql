-- Supervisor console: people who sign in with a password, their sessions, acknowledged alerts.

CREATE TABLE console_users (
    name          text COLLATE "C" PRIMARY KEY,
    password_hash text        NOT NULL,  -- scrypt$n$r$p$salt$hash (ccd.console.passwords)
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE console_sessions (
    token_hash text COLLATE "C" PRIMARY KEY,  -- sha256 of the cookie value: a leaked table opens nothing
    user_name  text COLLATE "C" NOT NULL,
    csrf       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_expiry_idx ON console_sessions (expires_at);
