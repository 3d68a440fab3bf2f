-- A review job names its site package by the SHA-256 of the packed package stored as
-- a blob, not by a directory path (a server has no such path, and the hash says which
-- data the verdict came from). site_dir stays for rows written before this migration.
ALTER TABLE review_job ADD COLUMN site_sha256 TEXT;
