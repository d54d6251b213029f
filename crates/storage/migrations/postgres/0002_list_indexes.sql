-- Lists are ordered by name: an index lets a page of ten stop after ten rows.
CREATE INDEX persons_name ON persons (name, id);
CREATE INDEX organisations_name ON organisations (name, id);
