-- BIM review jobs carry the inputs the worker needs besides the model blob:
-- the site package directory, the explicit placement and the declared use.
ALTER TABLE review_job ADD COLUMN site_dir TEXT;
ALTER TABLE review_job ADD COLUMN placement TEXT;
ALTER TABLE review_job ADD COLUMN declared_use TEXT;
