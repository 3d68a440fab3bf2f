//! The names of event and timer kinds as enums, so the store and its callers compare
//! kinds by type rather than by text. The text (`as_str`, and serde's snake_case name,
//! which is the same) is what the store keeps in its `kind` columns and what the audit
//! hash chain covers, so it must never change; `parse` is its inverse, for rows read back.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A text that names no kind of this type; the message names the type and the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {text:?}")]
pub struct UnknownKind {
    pub what: &'static str,
    pub text: String,
}

/// Defines a fieldless enum with its stable snake_case text, `ALL`, `as_str` and `parse`.
macro_rules! kind_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every kind, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stable stored name (serde's name too).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The kind named by `text`, the inverse of [`Self::as_str`].
            pub fn parse(text: &str) -> Result<$name, UnknownKind> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownKind { what: $what, text: text.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownKind;
            fn from_str(s: &str) -> Result<$name, UnknownKind> {
                $name::parse(s)
            }
        }
    };
}

kind_enum!(
    /// The kind of an [`crate::Event`] (its serde `type` tag): one per variant.
    EventKind, "event kind", {
        CaseCreated => "case_created",
        StageOpened => "stage_opened",
        StageJoined => "stage_joined",
        StageFailed => "stage_failed",
        StageOverdue => "stage_overdue",
        CaseCompleted => "case_completed",
        CaseTerminated => "case_terminated",
        ItemReceived => "item_received",
        ItemCancelled => "item_cancelled",
        ItemAccepted => "item_accepted",
        ItemNotAccepted => "item_not_accepted",
        SupplementRequested => "supplement_requested",
        SupplementCompleted => "supplement_completed",
        MaterialsSupplied => "materials_supplied",
        ProcessingStarted => "processing_started",
        SpecialStarted => "special_started",
        SpecialEnded => "special_ended",
        ExtensionRequested => "extension_requested",
        ExtensionApproved => "extension_approved",
        ExtensionDenied => "extension_denied",
        ReviewRecorded => "review_recorded",
        ItemConcluded => "item_concluded",
        ItemWithdrawn => "item_withdrawn",
        ItemRevoked => "item_revoked",
        RongqueOverdue => "rongque_overdue",
        ItemOverdue => "item_overdue",
        CommitmentCheckDue => "commitment_check_due",
        CommitmentChecked => "commitment_checked",
        Rated => "rated",
        /// 信用等级适用 (the applicant's credit standing recorded on the case)
        CreditApplied => "credit_applied",
        MaterialAttached => "material_attached",
        RiskChanged => "risk_changed",
    }
);

kind_enum!(
    /// The kind of an armed [`crate::Timer`].
    TimerKind, "timer kind", {
        /// 视为受理 after 5 working days without 一次告知 (行政许可法 Art. 32).
        AutoAccept => "auto_accept",
        /// 容缺 materials not supplied by their deadline.
        RongqueDue => "rongque_due",
        /// 告知承诺 履诺核查 falls due.
        CommitmentCheck => "commitment_check",
        /// The promised limit has passed (红灯 督办).
        Overdue => "overdue",
        /// An open stage passed its stage limit 阶段时限 (红灯 督办).
        StageOverdue => "stage_overdue",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_kind_round_trips_through_its_text_and_serde() {
        assert_eq!(EventKind::ALL.len(), 32);
        for &k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Ok(k));
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(k));
            assert_eq!(k.to_string(), k.as_str());
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
            let back: EventKind = serde_json::from_str(&format!("\"{k}\"")).unwrap();
            assert_eq!(back, k);
        }
    }

    #[test]
    fn every_timer_kind_round_trips_through_its_text_and_serde() {
        assert_eq!(TimerKind::ALL.len(), 5);
        for &k in TimerKind::ALL {
            assert_eq!(TimerKind::parse(k.as_str()), Ok(k));
            assert_eq!(k.as_str().parse::<TimerKind>(), Ok(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
    }

    #[test]
    fn unknown_text_is_an_error_naming_it() {
        let e = EventKind::parse("case_exploded").unwrap_err();
        assert_eq!(e.to_string(), "unknown event kind \"case_exploded\"");
        assert!(TimerKind::parse("Overdue").is_err());
        assert!(TimerKind::parse("").is_err());
    }
}
