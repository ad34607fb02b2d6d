-- PostgreSQL migration step 3 (frozen): every activity row names the surface (native v1
-- or a profile) its change came through. The twin of 0003_activity_surface.sql.
ALTER TABLE activity ADD COLUMN surface TEXT COLLATE "C" NOT NULL DEFAULT 'v1';
