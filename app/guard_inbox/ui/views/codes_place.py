"""Keeping the user's place in the codes table across a refresh: selection, current row and
scroll position, by code id, since rows may move while the ids are re-read."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QItemSelection, QItemSelectionModel
from PySide6.QtWidgets import QAbstractItemView, QTableView

from guard_inbox.ui.models.codes_model import HEADERS, CodesModel


@dataclass(frozen=True, slots=True)
class Place:
    """Where the user was before a refresh, by code id (rows may move)."""

    selected: tuple[int, ...]
    selected_row: int  # where the selection was (-1: none), for when its code is gone
    current: int | None
    top_id: int | None
    top_row: int
    on_screen: tuple[int, ...]
    vscroll: int
    hscroll: int


def _ids_of(model: CodesModel, rows: list[int]) -> tuple[int, ...]:
    return tuple(i for i in (model.code_id_at(row) for row in rows) if i is not None)


def capture(table: QTableView, model: CodesModel) -> Place:
    top = max(table.rowAt(0), 0)
    bottom = table.rowAt(table.viewport().height() - 1)
    bottom = model.rowCount() - 1 if bottom < 0 else bottom
    selected_rows = sorted(index.row() for index in table.selectionModel().selectedRows())
    current = _ids_of(model, [table.currentIndex().row()])
    return Place(
        selected=_ids_of(model, selected_rows),
        selected_row=selected_rows[0] if selected_rows else -1,
        current=current[0] if current else None,
        top_id=model.code_id_at(top),
        top_row=top,
        on_screen=_ids_of(model, list(range(top, bottom + 1))),
        vscroll=table.verticalScrollBar().value(),
        hscroll=table.horizontalScrollBar().value(),
    )


def restore(table: QTableView, model: CodesModel, place: Place) -> None:
    last = len(HEADERS) - 1
    rows = [row for row in (model.row_of(i) for i in place.selected) if row is not None]
    if not rows and place.selected_row >= 0 and model.total:
        rows = [min(place.selected_row, model.total - 1)]  # its code left: select the next one
    current = model.row_of(place.current) if place.current is not None else None
    current = rows[0] if current is None and rows else current
    top = model.row_of(place.top_id) if place.top_id is not None else None
    for row in [*rows, *([] if current is None else [current]), *([] if top is None else [top])]:
        model.expose(row)
    table.doItemsLayout()  # scroll ranges now, not at the next event loop turn
    selection = table.selectionModel()
    if current is not None:
        selection.setCurrentIndex(model.index(current, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
    chosen = QItemSelection()
    for row in rows:
        chosen.select(model.index(row, 0), model.index(row, last))
    selection.select(chosen, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    if top is not None and top == place.top_row:
        table.verticalScrollBar().setValue(place.vscroll)
    elif top is not None:
        table.scrollTo(model.index(top, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    else:
        table.verticalScrollBar().setValue(place.vscroll)
    table.horizontalScrollBar().setValue(place.hscroll)
