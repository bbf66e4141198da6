//! `[target.auth]`: exactly one of `bearer`, `basic` or `command`; `${VAR}` allowed in the
//! bearer token and the basic credentials; no `Authorization` in `[target.headers]` as well.

use toml::Spanned;

use super::common::header_value;
use super::{Checked, Ctx};
use crate::env::EnvSnapshot;
use crate::scenario::TargetHeader;
use crate::scenario::auth::{Auth, SecretText};
use crate::scenario::interpolate::interpolate;
use crate::scenario::model::AuthDoc;

/// Validates `[target.auth]` against the target's headers.
pub(super) fn auth(
    ctx: Ctx<'_>,
    doc: &Spanned<AuthDoc>,
    headers: &[TargetHeader],
    env: &EnvSnapshot,
) -> Checked<Auth> {
    let table = doc.get_ref();
    let given = [
        table.bearer.is_some(),
        table.basic.is_some(),
        table.command.is_some(),
    ]
    .iter()
    .filter(|set| **set)
    .count();
    if given != 1 {
        return Err(ctx.err(
            doc.span(),
            "`[target.auth]` takes exactly one of `bearer`, `basic` or `command`",
        ));
    }
    if headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("authorization"))
    {
        return Err(ctx.err(
            doc.span(),
            "`[target.auth]` sets the Authorization header: remove Authorization from [target.headers]",
        ));
    }
    if let Some(token) = &table.bearer {
        return Ok(Auth::Bearer(secret(ctx, token, "bearer", env)?));
    }
    if let Some(basic) = &table.basic {
        let basic = basic.get_ref();
        let user = secret(ctx, &basic.user, "user", env)?;
        if user.value.contains(':') {
            return Err(ctx.err(
                basic.user.span(),
                "a basic-auth user name cannot contain `:`",
            ));
        }
        let password = secret(ctx, &basic.password, "password", env)?;
        return Ok(Auth::Basic { user, password });
    }
    match &table.command {
        Some(command) if !command.get_ref().trim().is_empty() => {
            Ok(Auth::Command(command.get_ref().clone()))
        }
        Some(command) => Err(ctx.err(command.span(), "the token `command` is empty")),
        None => Err(ctx.err(doc.span(), "`[target.auth]` is empty")),
    }
}

/// A secret value with `${VAR}` expanded; empty values and control characters are errors.
fn secret(
    ctx: Ctx<'_>,
    text: &Spanned<String>,
    what: &str,
    env: &EnvSnapshot,
) -> Checked<SecretText> {
    let interpolated =
        interpolate(text.get_ref(), env).map_err(|e| ctx.err(text.span(), e.to_string()))?;
    if interpolated.value.is_empty() {
        return Err(ctx.err(text.span(), format!("the `{what}` value is empty")));
    }
    header_value(ctx, &interpolated.value, text.span())?;
    Ok(SecretText {
        value: interpolated.value,
        from_env: interpolated.used_env.then_some(interpolated.shown),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::env::EnvSnapshot;
    use crate::scenario::auth::{Auth, SecretText};
    use crate::scenario::{Scenario, ScenarioError, load_str};

    const RESOURCE: &str = r#"
[resources.things]
collection = "/things"
item = "/things/{id}"
body = { name = "x" }
"#;

    fn load(target: &str) -> Result<Scenario, ScenarioError> {
        let env = EnvSnapshot::from_pairs([("API_TOKEN", "tok-s3cr3t"), ("PW", "hunter22")]);
        load_str(Path::new("t.toml"), &format!("{target}\n{RESOURCE}"), &env)
    }

    fn first_line(target: &str) -> String {
        let err = load(target).expect_err("invalid");
        err.to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn bearer_basic_and_command_load() {
        let bearer = load("[target.auth]\nbearer = \"${API_TOKEN}\"").expect("valid");
        assert_eq!(
            bearer.target.auth,
            Some(Auth::Bearer(SecretText {
                value: "tok-s3cr3t".into(),
                from_env: Some("${API_TOKEN}".into()),
            }))
        );
        let basic =
            load("[target.auth]\nbasic = { user = \"bob\", password = \"${PW}\" }").expect("valid");
        assert!(matches!(
            basic.target.auth,
            Some(Auth::Basic { ref user, ref password }) if user.value == "bob" && password.value == "hunter22"
        ));
        let command = load("[target.auth]\ncommand = \"printf tok\"").expect("valid");
        assert_eq!(
            command.target.auth,
            Some(Auth::Command("printf tok".into()))
        );
        assert_eq!(load("[target]").expect("valid").target.auth, None);
    }

    #[test]
    fn mistakes_are_located_errors() {
        assert!(
            first_line("[target.auth]\nbearer = \"a\"\ncommand = \"b\"")
                .contains("exactly one of `bearer`, `basic` or `command`")
        );
        assert!(first_line("[target.auth]").contains("exactly one of"));
        assert!(
            first_line("[target.auth]\nbearer = \"${MISSING}\"")
                .contains("environment variable `MISSING` is not set")
        );
        assert!(first_line("[target.auth]\nbearer = \"\"").contains("`bearer` value is empty"));
        assert!(first_line("[target.auth]\ncommand = \"  \"").contains("`command` is empty"));
        assert!(
            first_line("[target.auth]\nbasic = { user = \"a:b\", password = \"x\" }")
                .contains("cannot contain `:`")
        );
        assert!(first_line("[target.auth]\ntoken = \"x\"").contains("unknown field"));
        let both = first_line(
            "[target.headers]\nAuthorization = \"Bearer x\"\n[target.auth]\nbearer = \"y\"",
        );
        assert!(both.contains("remove Authorization"), "{both}");
        assert!(both.starts_with("t.toml:"), "{both}");
    }
}
