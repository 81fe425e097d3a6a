"""The .xlsx format, read and written safely; nothing here knows the contract.

* ``container``: the zip package, its pre-flight checks against zip and XML bombs, the
  map of its parts, and byte-offset scanning and splicing of XML we must not rewrite;
* ``refs``: A1 references (``D7``, ``A1:C9``, ``Funding!D7``);
* ``read``: the cell values of chosen sheets (python-calamine), formulas without values
  and error cells;
* ``cells``: edits of cell values spliced into a sheet's XML (for merged returns);
* ``book``: new workbooks laid out with XlsxWriter (tables, formats, print set-up, charts);
* ``styles``, ``comments`` and ``graft``: a workbook of results grafted into the user's
  package, its styles appended and notes added as comments, every other part kept byte
  for byte.
"""
