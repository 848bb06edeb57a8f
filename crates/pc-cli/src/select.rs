//! Choosing customers: ids given as arguments, or `--customers FILE` (one id a line,
//! `-` for stdin), as the contract's "Choosing customers" reads them.

use std::io::Read;
use std::path::Path;

use pc_models::CustomerId;

use crate::exit::Failure;

/// The customers `ids` and `file` name, each once, in order. `file` is read as one id
/// a line: everything from `#` to the end of a line is ignored, and so are white space,
/// CR and a leading byte-order mark; a first line that is an `Id` header makes the file
/// the CSV of `pc customers list` (its `Id` column). A bad id is exit 2 naming it and
/// its line; so is a file holding no id.
pub fn customers(ids: &[CustomerId], file: Option<&Path>) -> Result<Vec<CustomerId>, Failure> {
    let mut chosen = Vec::new();
    let mut take = |id: CustomerId| {
        if !chosen.contains(&id) {
            chosen.push(id);
        }
    };
    ids.iter().copied().for_each(&mut take);
    if let Some(file) = file {
        let (name, text) = read(file)?;
        let found = parse(&name, &text)?;
        if found.is_empty() {
            return Err(Failure::usage(format!("{name} holds no customer id")));
        }
        found.into_iter().for_each(take);
    }
    Ok(chosen)
}

/// The file's name for messages and its text; `-` is stdin.
fn read(file: &Path) -> Result<(String, String), Failure> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| {
                Failure::usage(format!("cannot read the customers from stdin: {error}"))
            })?;
        return Ok(("stdin".to_owned(), text));
    }
    let name = file.display().to_string();
    match std::fs::read(file) {
        Ok(bytes) => Ok((name, String::from_utf8_lossy(&bytes).into_owned())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && is_guid(&name) => {
            Err(Failure::usage(format!(
                "there is no customers file {name}: give customer ids as arguments, not \
                 after --customers"
            )))
        }
        Err(error) => Err(Failure::usage(format!(
            "cannot read the customers file {name}: {error}"
        ))),
    }
}

fn is_guid(text: &str) -> bool {
    text.trim().parse::<CustomerId>().is_ok()
}

/// The ids of a customers file's text, in order (repeats kept).
fn parse(name: &str, text: &str) -> Result<Vec<CustomerId>, Failure> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(index, line)| {
        let line = line.split('#').next().unwrap_or("");
        (
            index + 1,
            line.trim_matches(|c: char| c.is_whitespace() || c == '\r'),
        )
    });
    // The CSV of `pc customers list`: its `Id` column.
    let mut column = None;
    let mut ids = Vec::new();
    let mut bad = Vec::new();
    let mut first = true;
    for (number, line) in lines.by_ref() {
        if line.is_empty() {
            continue;
        }
        if std::mem::take(&mut first) {
            let header: Vec<&str> = line
                .split(',')
                .map(|field| field.trim().trim_matches('"'))
                .collect();
            if let Some(at) = header
                .iter()
                .position(|field| field.eq_ignore_ascii_case("id"))
            {
                column = Some(at);
                continue;
            }
        }
        let value = match column {
            Some(at) => line
                .split(',')
                .nth(at)
                .unwrap_or("")
                .trim()
                .trim_matches('"'),
            None => line,
        };
        match value.parse::<CustomerId>() {
            Ok(id) => ids.push(id),
            Err(_) => bad.push(format!(
                "line {number}: {value:?} is not a customer id (a GUID)"
            )),
        }
    }
    if bad.is_empty() {
        Ok(ids)
    } else {
        Err(Failure::usage(format!("{name}: {}", bad.join("; "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "47021739-3426-40bf-9601-61b4b6d7c793";
    const B: &str = "0b2a6f2e-5d6c-4f47-9b4f-5c3a1f0e7d21";

    fn ids(text: &str) -> Vec<String> {
        parse("f", text)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn one_id_a_line_with_comments_blanks_and_a_bom() {
        let text = format!("\u{feff}# my customers\r\n{A}  # Contoso\r\n\r\n  {B}\n");
        assert_eq!(ids(&text), [A, B]);
    }

    #[test]
    fn the_csv_of_customers_list_is_read_by_its_id_column() {
        let text = format!(
            "\u{feff}\"Id\",CompanyName,Domain\r\n{A},Contoso,contoso.com\r\n{B},\"Fabrikam\",f.com\r\n"
        );
        assert_eq!(ids(&text), [A, B]);
        let text = format!("CompanyName,id\nContoso,{B}\n");
        assert_eq!(ids(&text), [B]);
    }

    #[test]
    fn a_bad_id_names_its_line_and_nothing_is_taken() {
        let failure = parse("customers.txt", &format!("{A}\nnot-a-guid\n\n{{x}}\n")).unwrap_err();
        assert_eq!(failure.exit, crate::exit::Exit::Usage);
        assert!(
            failure
                .message
                .starts_with("customers.txt: line 2: \"not-a-guid\""),
            "{failure}"
        );
        assert!(failure.message.contains("line 4: \"{x}\""), "{failure}");
    }

    #[test]
    fn ids_and_a_file_are_taken_once_each_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("customers.txt");
        std::fs::write(&file, format!("{B}\n{A}\n{B}\n")).unwrap();
        let a: CustomerId = A.parse().unwrap();
        let chosen = customers(&[a], Some(&file)).unwrap();
        assert_eq!(
            chosen.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [A, B]
        );
        // A file with no id, and one that is not there but looks like an id.
        std::fs::write(&file, "# none yet\n").unwrap();
        assert!(
            customers(&[], Some(&file))
                .unwrap_err()
                .message
                .contains("holds no customer id")
        );
        let failure = customers(&[], Some(Path::new(B))).unwrap_err();
        assert!(
            failure.message.contains("give customer ids as arguments"),
            "{failure}"
        );
    }
}
