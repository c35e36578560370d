// The routing matrix: a row's primary agency is never also one of its supporting agencies, the
// cells show what is picked, and the page says how many rows changed before they are saved.
(function () {
  "use strict";
  const form = document.getElementById("routing-matrix");
  if (!form) return;
  const status = document.getElementById("routing-dirty");
  const initial = new Map();

  function rowState(row) {
    const primary = row.querySelector("input[type=radio]:checked");
    const supporting = Array.from(row.querySelectorAll("input[type=checkbox]:checked")).map(function (i) { return i.value; });
    return (primary ? primary.value : "") + "|" + supporting.sort().join(",");
  }

  function paint(row) {
    row.querySelectorAll("td.cell").forEach(function (cell) {
      const primary = cell.querySelector("input[type=radio]");
      const supporting = cell.querySelector("input[type=checkbox]");
      if (primary.checked && supporting.checked) supporting.checked = false;
      supporting.disabled = primary.checked;
      cell.classList.toggle("is-primary", primary.checked);
      cell.classList.toggle("is-supporting", supporting.checked);
    });
  }

  function countChanged() {
    let changed = 0;
    form.querySelectorAll("tbody tr").forEach(function (row) {
      if (initial.get(row.id) !== rowState(row)) changed += 1;
    });
    status.textContent = changed ? interpolate(ngettext("%s jenis kejadian berubah, belum disimpan", "%s jenis kejadian berubah, belum disimpan", changed), [changed]) : "";
  }

  form.querySelectorAll("tbody tr").forEach(function (row) {
    paint(row);
    initial.set(row.id, rowState(row));
  });
  form.addEventListener("change", function (event) {
    const row = event.target.closest("tr");
    if (row) paint(row);
    countChanged();
  });
  // Disabled boxes are not sent; that is what is wanted (the primary is never also supporting).
})();
