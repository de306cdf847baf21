//! The addresses a card's email addresses and phone numbers link to, so that a
//! phone's browser offers to write or call at a tap. Shared by the host's own markup
//! and the templates' `mailto` and `tel` filters, which print the same.

/// `mailto:` and the address, each byte outside the characters an address writes
/// plainly percent-encoded (RFC 6068): a `?`, `#`, `&` or `%` in a local part would
/// otherwise start the URI's query or fragment; letters of other scripts travel as
/// their UTF-8 bytes, which mail clients decode.
pub fn mailto(address: &str) -> String {
    let mut uri = String::with_capacity("mailto:".len() + address.len());
    uri.push_str("mailto:");
    for byte in address.bytes() {
        if byte.is_ascii_alphanumeric() || b".-_+@!$'*~=".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// `tel:` and the number as a phone dials it (RFC 3966): a `+` written before its
/// first digit ("+1 …", "(+65) …") and the digits, without the spaces, dashes, dots,
/// slashes and brackets written between them, up to the word after it (the extension
/// as the card says it, "ext. 12", "内線 12", which is no part of what is dialled,
/// also after a comma). The trunk `(0)` written into an international number ("+44
/// (0)20 …", "0044 (0)20 …") is not dialled either. None, rather than a link that
/// would dial another number, where a letter is written into the number itself
/// (1-800-FLOWERS), where the text holds two numbers (a second `+`, a comma or
/// semicolon before more digits, a slash after a whole number's worth of them) or
/// digits of another script, and where fewer than three digits come before any word.
pub fn tel(phone: &str) -> Option<String> {
    let chars: Vec<char> = phone.trim().chars().collect();
    let mut plus = false;
    let mut digits = String::new();
    let mut after_space = true;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        if c.is_alphabetic() {
            if !after_space {
                return None;
            }
            break;
        }
        let international = plus || digits.starts_with("00");
        match c {
            '(' if international
                && !digits.is_empty()
                && chars.get(i..i + 2) == Some(&['0', ')']) =>
            {
                i += 2;
                continue;
            }
            '0'..='9' => digits.push(c),
            '+' if digits.is_empty() && !plus => plus = true,
            '+' => return None,
            ',' | ';' => {
                // A word after it ends the number; more digits are a second number.
                match chars[i..].iter().find(|c| !c.is_whitespace()) {
                    Some(next) if next.is_alphabetic() => break,
                    Some(_) => return None,
                    None => break,
                }
            }
            // An area code is written before a slash ("030 / 12 34 56"); a whole
            // number before one is followed by a second.
            '/' if digits.len() >= 6 => return None,
            c if c.is_numeric() => return None,
            _ => {}
        }
        after_space = c.is_whitespace();
    }
    (digits.len() >= 3).then(|| format!("tel:{}{digits}", if plus { "+" } else { "" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_goes_into_mailto_with_what_would_end_it_encoded() {
        assert_eq!(
            mailto("ann.lee+cc@example.com"),
            "mailto:ann.lee+cc@example.com"
        );
        assert_eq!(mailto("a%b?c#d&e@x.org"), "mailto:a%25b%3Fc%23d%26e@x.org");
        assert_eq!(mailto("zoë@bücher.de"), "mailto:zo%C3%AB@b%C3%BCcher.de");
        assert_eq!(mailto("a\"b <x>@y.z"), "mailto:a%22b%20%3Cx%3E@y.z");
    }

    #[test]
    fn a_number_dials_its_digits_up_to_the_first_letter() {
        assert_eq!(
            tel("+1 (555) 010-0199").as_deref(),
            Some("tel:+15550100199")
        );
        assert_eq!(
            tel("  +49 30 1234.567 ext. 12").as_deref(),
            Some("tel:+49301234567")
        );
        assert_eq!(tel("030 / 12 34 56").as_deref(), Some("tel:030123456"));
        assert_eq!(tel("555-1").as_deref(), Some("tel:5551"));
        assert_eq!(tel("call me"), None);
        assert_eq!(tel("12"), None);
        assert_eq!(tel("ext 1234"), None);
        // The extension as each language says it is not dialled.
        assert_eq!(
            tel("+1 555 0100 内線 567").as_deref(),
            Some("tel:+15550100")
        );
        assert_eq!(tel("0301234 Durchwahl 5").as_deref(), Some("tel:0301234"));
        // Letters written into the number: no link, rather than a wrong one.
        assert_eq!(tel("1-800-FLOWERS"), None);
        assert_eq!(tel("+44 20 7946 0018x"), None);
        // The + where it is written before the first digit; a trunk 0 left out.
        assert_eq!(tel("(+65) 6123 4567").as_deref(), Some("tel:+6561234567"));
        assert_eq!(
            tel("+44 (0)20 7946 0018").as_deref(),
            Some("tel:+442079460018")
        );
        assert_eq!(tel("(0)20 7946 0018").as_deref(), Some("tel:02079460018"));
        // Two numbers in one text: neither is dialled as one.
        assert_eq!(tel("555 0100, 555 0101"), None);
        assert_eq!(tel("+1 555 0100 / +1 555 0101"), None);
        assert_eq!(tel("555 0100; 555 0101"), None);
        assert_eq!(tel("555-0100 / 555-0101"), None);
        // A trunk (0) only of an international number, wherever a later + stands.
        assert_eq!(
            tel("0044 (0)20 7946 0018").as_deref(),
            Some("tel:00442079460018")
        );
        assert_eq!(tel("030 (0)12 34").as_deref(), Some("tel:03001234"));
        assert_eq!(
            tel("(0)20 7946 0018 Fax +44 20 7946 0019").as_deref(),
            Some("tel:02079460018")
        );
        // A word after a comma ends the number, as after a space.
        assert_eq!(
            tel("+1 555 0100, ext. 12").as_deref(),
            Some("tel:+15550100")
        );
        // Digits of other scripts are not dialled.
        assert_eq!(tel("٠١٢٣٤"), None);
    }
}
