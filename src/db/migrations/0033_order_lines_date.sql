-- docs/TICKETING.md, invariant 23: an order line names a date that exists. An order reads its date
-- unlocked; an edit may delete the date before the order's one statement writes, and an event without
-- a capacity has no row for that statement to lock: the database is the fence. NO ACTION (checked at
-- the end of the statement): deleting a venue still removes its dates and orders together. NOT VALID:
-- lines written before are not re-checked (an older agenda could delete a date with lines).
alter table order_lines
  add constraint order_lines_event_date_fk foreign key (place_id, event_date_id)
  references event_dates (place_id, id) not valid;
