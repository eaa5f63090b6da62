// Reads an iCalendar file with ical.js, an independent parser, and prints
// as JSON the next occurrences of one series after a given instant, the
// way a phone's calendar would show them: overrides (RECURRENCE-ID) at
// their new times, EXDATEs left out.
//
//   node expand.mjs <file.ics> <uid> <after, ISO 8601> <count>
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [file, uid, afterISO, countArg] = process.argv.slice(2);
const after = new Date(afterISO);
const count = Number(countArg);

const cal = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
for (const tz of cal.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(tz);
}
const mine = cal.getAllSubcomponents("vevent").filter((v) => v.getFirstPropertyValue("uid") === uid);
const master = mine.find((v) => !v.hasProperty("recurrence-id"));
if (!master) {
  throw new Error(`no series with UID ${uid}`);
}
const event = new ICAL.Event(master);
for (const v of mine) {
  if (v !== master) {
    event.relateException(v);
  }
}
if (!event.isRecurring()) {
  throw new Error(`${uid} is not a series`);
}

const out = [];
const it = event.iterator();
for (let i = 0, next; i < 5000 && out.length < count && (next = it.next()); i++) {
  const d = event.getOccurrenceDetails(next);
  const start = d.startDate.toJSDate();
  if (start <= after) {
    continue;
  }
  out.push({
    start: start.toISOString(),
    end: d.endDate.toJSDate().toISOString(),
    zone: d.startDate.zone.tzid,
    summary: d.item.summary,
  });
}
process.stdout.write(JSON.stringify({ calendar: cal.getFirstPropertyValue("x-wr-calname"), occurrences: out }) + "\n");
