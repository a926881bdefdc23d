CREATE TABLE sagas (
    id VARCHAR(255) PRIMARY KEY,
    current_step INTEGER NOT NULL,
    status VARCHAR(50) NOT NULL,
    payload JSONB NOT NULL,
    steps JSONB NOT NULL,
    compensating BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sagas_status ON sagas (status);
