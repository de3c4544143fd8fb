SELECT COALESCE(max(load_seq), 0) + 1 FROM meta.loaded_objects;
