-- Runs once, when the Postgres volume is first created. One database per service: each service is
-- given only its own DATABASE_URL, so none can read another's tables. (The services would also
-- create a missing database on start; creating them here keeps a restricted role an option.)
CREATE DATABASE users;
CREATE DATABASE orders;
CREATE DATABASE inventory;
