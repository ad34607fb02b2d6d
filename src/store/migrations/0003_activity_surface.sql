-- Every activity row names the surface (native v1 or a profile) its change came through.
ALTER TABLE activity ADD COLUMN surface TEXT NOT NULL DEFAULT 'v1';
