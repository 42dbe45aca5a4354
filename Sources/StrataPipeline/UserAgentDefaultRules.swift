extension UserAgentParser {
    /// The built-in rules (format: see `UserAgentParser`), used when a `user_agent` processor
    /// names no `rules` file. Copy them into a file to customise.
    public static let defaultRules = #"""
# Strata user-agent rules.
#
# Format (see UserAgentParser):  <kind> <name> <token> [option ...]
#   kind     browser | os | device
#   token    bytes that must occur in the User-Agent; a trailing "/" captures the version
#            after it; "*" matches any non-empty User-Agent. Quote fields that hold spaces.
#   options  version | version=<token> | requires=<token> | unless=<token>
#            | map=<version>:<text>,... | nocase
# Rules of each kind are tried top to bottom; the first that matches wins. Order matters:
# most browsers also say "Chrome/" and "Safari/", so the specific ones come first.

# --- Browsers --------------------------------------------------------------------------------

# Crawlers and HTTP clients first: Googlebot's smartphone UA also looks like Chrome on Android.
browser Googlebot        Googlebot/
browser bingbot          bingbot/
browser curl             curl/
browser Wget             Wget/
browser python-requests  python-requests/
browser Go-http-client   Go-http-client/

# Chromium-based browsers that also carry "Chrome/".
browser Edge                Edg/
browser Edge                EdgA/
browser Edge                EdgiOS/
browser Edge                Edge/            # legacy EdgeHTML Edge 12-18
browser Opera               OPR/
browser "Samsung Internet"  SamsungBrowser/

browser Firefox  Firefox/
browser Firefox  FxiOS/                      # Firefox on iOS
browser Chrome   CriOS/                      # Chrome on iOS
browser Chrome   Chrome/
# Safari's own version is in "Version/"; "Safari/" carries the WebKit build.
browser Safari   Safari/  version=Version/

# Internet Explorer: "MSIE 10.0" up to IE 10, "Trident/7.0; rv:11.0" for IE 11.
browser IE  MSIE     version
browser IE  Trident/ version=rv:

# --- Operating systems -----------------------------------------------------------------------

os Windows  "Windows NT"  version  map=10.0:10,6.3:8.1,6.2:8,6.1:7,6.0:Vista,5.2:XP,5.1:XP
os Windows  Windows
# Android before Linux: Android user agents say "Linux; Android 13".
os Android  Android   version
# iOS before macOS: iOS user agents say "like Mac OS X".
os iOS      "iPhone OS"  version
os iOS      "CPU OS"     version  requires=iPad
os iOS      iPhone
os iOS      iPad
os ChromeOS CrOS
os macOS    "Mac OS X"   version
os macOS    Macintosh
os Linux    Linux

# --- Devices ---------------------------------------------------------------------------------

# Bots: any "bot", "crawler" or "spider" (Googlebot, bingbot, AhrefsBot, ...), and HTTP
# client libraries, which are never a person at a screen.
device bot  bot      nocase
device bot  crawler  nocase
device bot  spider   nocase
device bot  curl/
device bot  Wget/
device bot  python-requests/
device bot  Go-http-client/

# Tablets: iPads, and Android without "Mobile" (Chrome) or with "Tablet" (Firefox).
device tablet  iPad
device tablet  Tablet   unless="Tablet PC"     # not the "Tablet PC 2.0" of old Windows IE
device tablet  Android  unless=Mobile

device mobile  Mobile
device mobile  iPhone
device mobile  Android

device desktop *
"""#
}
