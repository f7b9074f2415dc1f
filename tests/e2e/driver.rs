//! Real-window harness: starts `tauri-driver` (which starts WebKitWebDriver, which starts the
//! app) in its own process group with its output in a log file, connects fantoccini, and always
//! tears the whole group down. Also the small DOM helpers the scenarios use. Deliberately no
//! scenario logic here. Needs an X display (run under `xvfb-run`), `tauri-driver` and
//! `WebKitWebDriver` on PATH.
#![allow(dead_code)]

use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub type R<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// How long one element may take to appear.
pub const WAIT: Duration = Duration::from_secs(20);

/// The folder where every screenshot is written (kept after failures).
pub fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("E2E_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// A running app under WebDriver.
pub struct Session {
    pub client: Client,
    driver: Child,
    pub log: PathBuf,
}

/// Environment for the app: a temp home for WebKit's data and cache, plus the app's own settings.
pub struct AppEnv {
    pub vars: Vec<(String, String)>,
    pub args: Vec<String>,
    pub log_dir: PathBuf,
}

impl AppEnv {
    /// Hermetic environment inside `dir`: XDG data/cache/config there, the database `db`.
    pub fn in_dir(dir: &Path, db: &Path) -> AppEnv {
        let xdg = |n: &str| dir.join(n).display().to_string();
        AppEnv {
            vars: vec![
                ("GIAMNGHEO_DB".into(), db.display().to_string()),
                ("XDG_DATA_HOME".into(), xdg("xdg-data")),
                ("XDG_CACHE_HOME".into(), xdg("xdg-cache")),
                ("XDG_CONFIG_HOME".into(), xdg("xdg-config")),
            ],
            args: Vec::new(),
            log_dir: dir.to_path_buf(),
        }
    }
}

impl Session {
    /// Starts tauri-driver + the app at `app` and opens a WebDriver session (30 s limit).
    pub async fn start(app: &Path, env: &AppEnv, label: &str) -> R<Session> {
        let port = free_port();
        let native = free_port();
        let log = env.log_dir.join(format!("tauri-driver-{label}.log"));
        let out = std::fs::File::create(&log)?;
        let err = out.try_clone()?;
        let mut cmd = Command::new("tauri-driver");
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .process_group(0);
        for (k, v) in &env.vars {
            cmd.env(k, v);
        }
        let driver = cmd
            .spawn()
            .map_err(|e| format!("cannot start tauri-driver (is it on PATH?): {e}"))?;
        let mut session_guard = DriverGuard(Some(driver));

        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!(
                    "tauri-driver did not listen on {port} within 20 s; see {}",
                    log.display()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": app.display().to_string(), "args": env.args }),
        );
        let client = tokio::time::timeout(
            Duration::from_secs(30),
            ClientBuilder::native()
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await
        .map_err(|_| "WebDriver session did not start within 30 s")??;
        let driver = session_guard.0.take().expect("driver still owned");
        Ok(Session {
            client,
            driver,
            log,
        })
    }

    /// Ends the session: DELETE /session (10 s limit), then TERM and KILL for the whole process
    /// group so neither WebKitWebDriver nor the app can outlive the test.
    pub async fn stop(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.clone().close()).await;
        kill_group(&mut self.driver).await;
    }
}

/// Kills tauri-driver's group if a session never got going.
struct DriverGuard(Option<Child>);
impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let pgid = c.id();
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .status();
            let _ = c.wait();
        }
    }
}

async fn kill_group(child: &mut Child) {
    let pgid = child.id();
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{pgid}")])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            _ if Instant::now() > deadline => break,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    // Whatever is left in the group (WebKitWebDriver, the app) goes too.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .status();
    let _ = child.wait();
}

/// Runs `steps` against a fresh app session with a time limit; a failure (error, panic or hang)
/// still takes a "FAILED" screenshot and tears everything down, then fails the test.
pub async fn with_app<F, Fut>(app: &Path, env: &AppEnv, label: &str, limit: Duration, steps: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = R<()>> + Send + 'static,
{
    let session = match Session::start(app, env, label).await {
        Ok(s) => s,
        Err(e) => panic!("[{label}] could not start the app: {e}"),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(10),
        session.client.set_window_rect(0, 0, 1366, 768),
    )
    .await;
    let task = tokio::spawn(tokio::time::timeout(limit, steps(session.client.clone())));
    let outcome = match task.await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(e))) => Err(format!("{e}")),
        Ok(Err(_)) => Err(format!("timed out after {} s", limit.as_secs())),
        Err(join) => Err(format!("panicked: {join}")),
    };
    if outcome.is_err() {
        let _ = tokio::time::timeout(
            Duration::from_secs(15),
            shot(&session.client, &format!("{label}-FAILED")),
        )
        .await;
    }
    let log = session.log.clone();
    session.stop().await;
    if let Err(e) = outcome {
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: String = tail
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        panic!("[{label}] {e}\n--- tauri-driver log (last lines) ---\n{tail}");
    }
}

/// Waits for the next painted frame, then saves a WebDriver screenshot as `<name>.png`.
pub async fn shot(c: &Client, name: &str) -> R<PathBuf> {
    // Without this a fresh Xvfb can hand back the previous frame.
    c.execute_async(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    )
    .await?;
    let png = c.screenshot().await?;
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png)?;
    eprintln!("screenshot: {}", path.display());
    Ok(path)
}

/// Polls until `css` matches a displayed element.
pub async fn wait_for(c: &Client, css: &str) -> R<Element> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if e.is_displayed().await.unwrap_or(false) {
                return Ok(e);
            }
        }
        if Instant::now() > deadline {
            return Err(
                format!("element `{css}` did not appear within {} s", WAIT.as_secs()).into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls until the text of `css` satisfies `pred`; returns the text.
pub async fn wait_text(
    c: &Client,
    css: &str,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> R<String> {
    let deadline = Instant::now() + WAIT;
    let mut last = String::new();
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if pred(&t) {
                    return Ok(t);
                }
                last = t;
            }
        }
        if Instant::now() > deadline {
            return Err(format!("`{css}` never showed {what}; last text: {last:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls until a JS expression (returning a value) satisfies `pred`.
pub async fn wait_js(
    c: &Client,
    script: &str,
    what: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> R<serde_json::Value> {
    let deadline = Instant::now() + WAIT;
    let mut last = serde_json::Value::Null;
    loop {
        if let Ok(v) = c.execute(script, vec![]).await {
            if pred(&v) {
                return Ok(v);
            }
            last = v;
        }
        if Instant::now() > deadline {
            return Err(format!("never saw {what}; last value: {last}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clears an input and types `text` into it like a user.
pub async fn type_into(c: &Client, css: &str, text: &str) -> R<Element> {
    let e = wait_for(c, css).await?;
    e.clear()
        .await
        .map_err(|err| format!("clearing `{css}`: {err:?}"))?;
    e.send_keys(text)
        .await
        .map_err(|err| format!("typing into `{css}`: {err:?}"))?;
    Ok(e)
}

/// Clicks the element matching `css` once it is displayed.
pub async fn click(c: &Client, css: &str) -> R<()> {
    let e = wait_for(c, css).await?;
    e.click()
        .await
        .map_err(|err| format!("clicking `{css}`: {err:?}"))?;
    Ok(())
}

/// Sends keys to the element matching `css`.
pub async fn keys(c: &Client, css: &str, text: &str) -> R<()> {
    let e = wait_for(c, css).await?;
    e.send_keys(text)
        .await
        .map_err(|err| format!("sending keys to `{css}`: {err:?}"))?;
    Ok(())
}

/// A key as the string `send_keys` wants.
pub fn key(k: fantoccini::key::Key) -> String {
    char::from(k).to_string()
}

/// Texts of every element matching `css`.
/// Read in one script call so a redraw in between cannot leave stale element references.
pub async fn texts(c: &Client, css: &str) -> R<Vec<String>> {
    let v = c
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent);",
            vec![serde_json::Value::String(css.to_string())],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// The app binary: `$APP_BIN`, else the debug build next to the running test.
pub fn app_binary(default: &str) -> PathBuf {
    std::env::var_os("APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// Lower case without Vietnamese diacritics, đ -> d: what a user types when searching.
pub fn without_diacritics(s: &str) -> String {
    const MAP: [(&str, char); 7] = [
        ("àáạảãâầấậẩẫăằắặẳẵ", 'a'),
        ("èéẹẻẽêềếệểễ", 'e'),
        ("ìíịỉĩ", 'i'),
        ("òóọỏõôồốộổỗơờớợởỡ", 'o'),
        ("ùúụủũưừứựửữ", 'u'),
        ("ỳýỵỷỹ", 'y'),
        ("đ", 'd'),
    ];
    s.to_lowercase()
        .chars()
        .map(|c| {
            MAP.iter()
                .find(|(k, _)| k.contains(c))
                .map(|(_, v)| *v)
                .unwrap_or(c)
        })
        .collect()
}
