SELECT object_key FROM meta.loaded_objects;
