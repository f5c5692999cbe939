-- The sample tables samples/table.parquet and samples/table.csv (samples/make-tables.sh runs this with DuckDB from the
-- repository's root). A table as a data engineer has one: an id, numeric features (the ones `make run` sends to the
-- built-in model, which doubles numbers), text the model does not see, and a column with nulls.
CREATE TABLE customers (
    customer_id BIGINT,
    tenure_months INTEGER,
    monthly_spend DOUBLE,
    support_calls INTEGER,
    discount_rate DOUBLE,
    plan VARCHAR,
    city VARCHAR,
    last_survey_score INTEGER  -- null where the customer never answered
);

INSERT INTO customers VALUES
    (100001, 20, 37.84, 0, 0.1, 'basic', 'Lisbon', 10),
    (100008, 22, 11.99, 3, 0.0, 'basic', 'Portland, OR', 2),
    (100015, 17, 44.42, 5, 0.15, 'plus', 'São Paulo', NULL),
    (100022, 27, 31.18, 2, 0.1, 'basic', 'Lyon', 7),
    (100029, 12, 78.67, 5, 0.15, 'plus', 'Kraków', 2),
    (100036, 27, 72.63, 0, 0.05, 'plus', 'Osaka', 2),
    (100043, 11, 30.13, 1, 0.1, 'basic', 'Lisbon', NULL),
    (100050, 33, 27.13, 0, 0.0, 'basic', 'Austin, TX', 5),
    (100057, 30, 104.36, 1, 0.2, 'pro', 'Zürich', 4),
    (100064, 8, 10.44, 1, 0.1, 'basic', 'Lyon', 3),
    (100071, 43, 75.57, 5, 0.05, 'plus', 'Osaka', NULL),
    (100078, 36, 70.68, 3, 0.05, 'plus', 'Lisbon', 3),
    (100085, 52, 112.1, 0, 0.05, 'pro', 'São Paulo', 10),
    (100092, 55, 47.27, 0, 0.2, 'plus', 'Kraków', 1),
    (100099, 67, 30.47, 0, 0.05, 'basic', 'Portland, OR', NULL),
    (100106, 11, 21.75, 1, 0.0, 'basic', 'Zürich', 6),
    (100113, 52, 114.73, 0, 0.05, 'pro', 'Austin, TX', 2),
    (100120, 59, 70.86, 0, 0.0, 'plus', 'Lyon', 10),
    (100127, 14, 19.35, 1, 0.0, 'basic', 'Osaka', NULL),
    (100134, 39, 82.66, 0, 0.05, 'pro', 'Lisbon', 4);

COPY customers TO 'samples/table.parquet' (FORMAT parquet);
COPY customers TO 'samples/table.csv' (FORMAT csv, HEADER);
SELECT count(*) AS rows FROM customers;
