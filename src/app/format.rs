//! Formatting for the UI. [`utc`] and [`duration`] are identical on server and browser (no
//! time-zone database needed). An instant shows in the reader's own time zone once hydrated (UTC
//! before), with the raw value on hover: [`LocalTime`] on server-rendered pages (plain markup,
//! made local by one [`LocalTimes`] island per page) and [`LiveLocalTime`] inside an island,
//! following a signal.

use leptos::prelude::*;

/// The attribute that marks a server-rendered instant for [`LocalTimes`], with its Unix seconds
/// (written as `data-local-time` in [`LocalTime`]'s view).
#[cfg(feature = "hydrate")]
const LOCAL_MARK: &str = "data-local-time";

/// An instant (Unix seconds) as a `<time>` in UTC, with the exact time and the raw value in its
/// tooltip; a page that shows any puts one [`LocalTimes`] after them, which shows them in the
/// reader's time zone.
#[component]
pub fn LocalTime(unix_seconds: u64) -> impl IntoView {
    let shown = utc(unix_seconds);
    let title = format!("{shown} (Unix time {unix_seconds})");
    view! {
        <time
            datetime=iso(unix_seconds)
            title=title
            data-local-time=unix_seconds
        >
            {shown}
        </time>
    }
}

/// Shows every [`LocalTime`] of the page in the reader's time zone once hydrated: one island for
/// all of them (each its own island cost every page view a render and props of its own).
#[island]
pub fn LocalTimes() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        localize_marked_times();
    });
}

/// Rewrites the text of each `<time>` marked by [`LocalTime`] to the browser's local time.
#[cfg(feature = "hydrate")]
fn localize_marked_times() {
    let Ok(times) = document().query_selector_all(&format!("time[{LOCAL_MARK}]")) else {
        return;
    };
    for index in 0..times.length() {
        let Some(time) = times.item(index) else {
            continue;
        };
        let seconds = wasm_bindgen::JsCast::dyn_ref::<web_sys::Element>(&time)
            .and_then(|element| element.get_attribute(LOCAL_MARK))
            .and_then(|value| value.parse::<u64>().ok());
        if let Some(seconds) = seconds {
            time.set_text_content(Some(&local(seconds)));
        }
    }
}

/// An instant (Unix seconds) as a `<time>`: UTC from the server, then the browser's local date
/// and time; the exact UTC time and the raw value in its tooltip.
#[component]
pub fn LiveLocalTime(#[prop(into)] unix_seconds: Signal<u64>) -> impl IntoView {
    let shown = RwSignal::new(String::new());
    Effect::new(move |_| shown.set(local(unix_seconds.get())));
    view! {
        <time
            datetime=move || iso(unix_seconds.get())
            title=move || format!("{} (Unix time {})", utc(unix_seconds.get()), unix_seconds.get())
        >
            {move || {
                let local = shown.get();
                if local.is_empty() { utc(unix_seconds.get()) } else { local }
            }}
        </time>
    }
}

/// The instant in the browser's time zone and locale, e.g. `2 Dec 2026, 09:41:05`; empty on the
/// server.
fn local(unix_seconds: u64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            unix_seconds as f64 * 1000.0,
        ));
        String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = unix_seconds;
        String::new()
    }
}

/// `2026-11-23T12:34:56Z`, for `<time datetime>`.
pub fn iso(unix_seconds: u64) -> String {
    let text = utc(unix_seconds);
    format!("{}T{}Z", &text[..10], &text[11..19])
}

/// `2026-11-23 12:34:56 UTC` for Unix seconds.
pub fn utc(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let seconds_of_day = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        seconds_of_day / 3600,
        (seconds_of_day % 3600) / 60,
        seconds_of_day % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm, for days since 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// `1 h 5 min`, `12 min`, `40 s` for a number of seconds.
pub fn duration(seconds: u64) -> String {
    let (days, hours, minutes) = (
        seconds / 86_400,
        (seconds % 86_400) / 3600,
        (seconds % 3600) / 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_800_000_000), "2027-01-15 08:00:00 UTC");
        assert_eq!(iso(1_800_000_000), "2027-01-15T08:00:00Z");
    }

    #[test]
    fn formats_durations() {
        assert_eq!(duration(40), "40 s");
        assert_eq!(duration(3600), "1 h");
        assert_eq!(duration(3900), "1 h 5 min");
        assert_eq!(duration(86_400 * 14), "14 d");
    }
}
