"""Course pictures: decoding and renditions, content-addressed file names, and where files are stored."""
