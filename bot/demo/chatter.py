"""Evergreen chatter of the demo community: per-channel templates, short replies and fillers.

Templates use {slot} names filled from FILLERS (or from the speaking member: {me}, {my_product},
{my_headline}); {first} is another member's first name.
"""

from __future__ import annotations

# fmt: off
CHANNELS: tuple[str, ...] = ("general", "fundraising", "hiring", "product", "events")
CHANNEL_WEIGHTS: tuple[float, ...] = (0.34, 0.18, 0.14, 0.21, 0.13)

SHORT_REPLIES: tuple[str, ...] = (
    "thanks!", "+1", "same here", "this 👆", "great point", "lol", "congrats!!", "🙌", "following",
    "good q", "interested too", "DM'd you", "ty", "nice!", "haha true", "agreed", "thank you 🙏",
    "+1 to this", "following this thread", "same question here", "so true", "love this",
    "thanks, super helpful", "gm", "gm gm", "morning!", "💯", "🔥🔥", "yes!", "sent you a DM",
    "thx", "exactly", "haha", "oh nice", "wow", "ok will do", "cool, thanks", "👀",
)

GREETINGS: tuple[str, ...] = (
    "Good morning everyone! Happy {weekday}", "gm folks, what is everyone shipping this week?",
    "Happy Friday all, any wins to share?", "Hello from {city}! Great to be here",
    "Morning all ☕ back from a week offline, what did I miss?",
)

BACKGROUND: dict[str, tuple[str, ...]] = {
    "general": (
        "Anyone in {city} this week? Would love to grab coffee",
        "Can anyone recommend a good accountant for a Delaware C-corp?",
        "What tools do you use for bookkeeping at the early stage?",
        "Great read on {theme}: https://{site}/{slug}",
        "Congrats {first} on the launch! 🎉",
        "Huge congrats to {first} and team on closing the round!",
        "Who here is working on something in {sector}? Let's connect",
        "Looking for a good co-working space in {city}, recommendations?",
        "Sharing our monthly update: {mrr} MRR, {n} new customers, hiring soon",
        "Does anyone have a lawyer they trust for incorporation in {city}?",
        "Question for the group: Notion or Linear for a team of {n}?",
        "Just crossed {n}00 users this week, small win but it feels good",
        "What's the best newsletter you read about {theme}?",
        "Anyone want to be accountability partners for the next month?",
        "Any recommendations for a bank account that works well for startups in {region}?",
        "Podcast rec: great episode on {theme} with a founder from {city}",
    ),
    "fundraising": (
        "Would love feedback on our pitch deck before we go out to investors",
        "Does anyone know investors who focus on {stage} {sector}?",
        "Can someone intro me to {fund}? Working on {product}",
        "How many investor meetings did it take you to close your {stage} round?",
        "We just closed our {stage} round! Thanks to everyone here who helped 🙏",
        "What's a reasonable data room checklist for a {stage} raise?",
        "Tips for cold emailing angels? Response rate is very low",
        "Which cap table tool are you using, Carta or Pulley?",
        "How much traction do {sector} investors expect at {stage}?",
        "Investor asked for our cohort retention. How do you present it in the deck?",
        "Anyone have experience with revenue-based financing for {sector}?",
        "Updated our deck with the new traction slide, happy to share if useful",
        "What questions did you get in your first partner meeting?",
    ),
    "hiring": (
        "We're hiring a {job} in {city}, remote-friendly. DM me for details",
        "Looking for a technical co-founder with {skill} experience",
        "How much equity do you give your first employees?",
        "Any recommendations for a recruiter for {job} roles?",
        "Open to work: {job} with {n} years of experience, ping me",
        "What's a fair salary for a {job} at a {stage} startup in {city}?",
        "How do you structure a paid take-home test for a {job}?",
        "Best job boards for startup roles in {region}?",
        "Our first hire was a generalist and it was the best call we made",
        "Anyone hiring interns for the summer? My cousin is looking",
        "How do you write an offer letter with an option grant? Template welcome",
        "Referral bonus: we pay {amount} for a {job} hire, DM if you know someone",
    ),
    "product": (
        "Can I get feedback on our landing page? https://{slug}.io",
        "What analytics do you use at the early stage, {analytics} or something else?",
        "How many user interviews before you trusted the signal?",
        "We launched on Product Hunt today, would love your support!",
        "Churn went up after our onboarding redesign, any ideas where to look?",
        "How do you prioritize the roadmap when every customer asks for something different?",
        "Shipped dark mode today, the most requested feature ever 😅",
        "Anyone using {analytics} for session replays? Worth the price?",
        "What's your activation metric? Struggling to define ours for {product}",
        "Looking for beta testers for {product}, DM me",
        "Best way to collect feature requests without drowning in them?",
        "Our free trial to paid conversion is {pct}%, is that good for B2B?",
        "How do you run a good customer discovery call?",
    ),
    "events": (
        "Meetup in {city} on {weekday}, who's coming?",
        "Founder breakfast next {weekday} at {time}, RSVP in the thread",
        "Anyone going to {conference} this year?",
        "Livestream of the investor panel starts at {time}: https://{site}/live",
        "Slides from last week's workshop on {theme} are up",
        "Hosting a small dinner for {sector} founders in {city}, a few seats left",
        "Virtual coworking session tomorrow at {time}, drop in any time",
        "Who wants to organize a hike for the community in {city}?",
        "Reminder: office hours with mentors on {weekday} at {time}",
        "Recording of the {theme} fireside chat is now online",
    ),
}

INTRO_TEMPLATES: tuple[str, ...] = (
    "Hi everyone! I'm {me}. {my_headline}. Excited to meet you all",
    "Hello 👋 {me} here. {my_headline}. Always happy to chat",
    "Hey all, new here. {my_headline}. Looking forward to learning from this group",
)

FILLERS: dict[str, tuple[str, ...]] = {
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "city": ("Berlin", "Lisbon", "London", "Paris", "New York", "San Francisco", "Toronto",
             "Austin", "São Paulo", "Mexico City", "Lagos", "Nairobi", "Singapore", "Bangalore",
             "Dubai", "Amsterdam", "Stockholm"),
    "latcity": ("São Paulo", "Mexico City", "Bogotá", "Buenos Aires", "Medellín", "Montevideo"),
    "region": ("Europe", "North America", "LatAm", "Africa", "Southeast Asia"),
    "sector": ("fintech", "health", "climate", "SaaS", "edtech", "devtools", "marketplace",
               "ecommerce", "security", "proptech", "legal tech", "HR tech"),
    "stage": ("pre-seed", "seed", "Series A"),
    "cap": ("$8M", "$10M", "$12M", "$15M", "$20M", "$25M", "$6M"),
    "mrr": ("$8k", "$15k", "$30k", "$50k", "$4k", "$100k"),
    "amount": ("$20k", "$35k", "$5k", "$50k", "$15k", "$2k"),
    "n": ("2", "3", "4", "5", "6", "8", "10", "12", "18"),
    "pct": ("12", "20", "35", "8", "50", "3"),
    "price": ("$0.50", "$1", "$2", "$5", "$0.10"),
    "rate": ("$4k", "$5k", "$6.5k", "$8k"),
    "time": ("8am", "9:30am", "12pm", "5pm", "6:30pm", "7pm"),
    "soctool": ("Vanta", "Drata", "Secureframe", "Sprinto"),
    "soctool2": ("Vanta", "Drata", "Secureframe", "Sprinto"),
    "eor": ("Deel", "Remote.com", "Oyster", "Rippling"),
    "fund": ("Northwind Ventures", "Blue Harbor Capital", "Seedling Fund", "Atlas Partners",
             "Kinetic VC", "Forge Ventures"),
    "product": ("our billing API", "a scheduling tool for clinics", "an invoicing app",
                "our carbon dashboard", "a hiring platform", "our mobile app"),
    "theme": ("product-led growth", "pricing", "remote culture", "B2B sales", "unit economics",
              "founder-led sales", "community building", "open source business models"),
    "site": ("medium.com", "substack.com", "blog.example.com", "youtube.com", "notion.site"),
    "slug": ("getacme", "tryflow", "usepilot", "joinloop", "hellobase", "gonimbus"),
    "job": ("backend engineer", "product designer", "founding engineer", "growth marketer",
            "data scientist", "account executive", "frontend engineer"),
    "skill": ("ML", "fintech", "mobile", "embedded", "B2B sales", "data infrastructure"),
    "analytics": ("Amplitude", "Mixpanel", "PostHog", "Heap"),
    "ago": ("last month", "two weeks ago", "this spring", "a few months ago", "last week",
            "in September"),
    "pitchtime": ("2:55", "3:10", "2:40", "3:30"),
    "hours": ("4.5", "5", "5.5", "6"),
    "selfcare": ("Go for a walk", "Take a real lunch break", "Log off early", "Call a friend"),
    "q": ("150", "200", "300", "400"),
    "buyer": ("bank", "hospital", "insurance", "Fortune 500", "telco"),
    "soon": ("next month", "in two weeks", "in January", "after the holidays"),
    "nationality": ("German", "French", "Dutch", "Spanish", "Italian", "Swedish"),
    "conference": ("Web Summit", "SaaStr", "Slush", "Collision", "VivaTech"),
}

# Openers and closers; the QUESTION_* ones only go around questions.
OPENERS: tuple[str, ...] = ("Hey all, ", "Hi folks! ", "ok so ", "Random thought: ", "PSA: ")
QUESTION_OPENERS: tuple[str, ...] = (
    "Quick question: ", "Honest question: ", "Curious, ", "Asking for a friend: ", "Hey all, ",
)
CLOSERS: tuple[str, ...] = (" 😅", " DMs open", " (long time lurker here)", " 🙏")
QUESTION_CLOSERS: tuple[str, ...] = (
    " Thoughts?", " Any advice appreciated 🙏", " Would love to hear from you", " thanks in advance!",
)
# Context people add at the end of a message.
CONTEXTS: tuple[str, ...] = (
    " (we're {stage}, {sector})", " cc @{first}", " — asking for our {sector} startup",
    " (context: {mrr} MRR)", " @{first} you mentioned this last week?", " (based in {city})",
    " — {first} and I were just discussing this", " (team of {n})",
)
# fmt: on
