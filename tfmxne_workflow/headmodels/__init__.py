"""Head models that need no download: the fsaverage5 template and the mesh geometry it is built with."""
