// The reference stack of scripts/bench: Logto's Express quick start
// (https://docs.logto.io/quick-starts/express, "Add authentication to your Express application"),
// code as the guide writes it, in JavaScript instead of TypeScript. Only the placeholders of its
// config are filled in, from the environment, so that it talks to the benchmark's provider:
//
//   LOGTO_ENDPOINT    the provider, e.g. http://127.0.0.1:3001
//   LOGTO_APP_ID      a Traditional Web application registered there
//   LOGTO_APP_SECRET  its secret
//   BASE_URL          this app's public origin, e.g. http://localhost:3400
//   PORT              the port it listens on (on 127.0.0.1, loopback only)
//
// Routes, as in the guide: /logto/sign-in, /logto/sign-in-callback and /logto/sign-out from
// handleAuthRoutes; `/` from "Implement sign-in and sign-out" (a greeting with the user's `sub`,
// or a sign-in link); and the handler of "Display user information" (`req.user.claims` as JSON:
// the claims of the ID token kept in the session, no call to the provider). The guide shows that
// handler on `/` too; it is mounted on `/user`, the path the guide's "Get user information" and
// the SDK's sample app give the profile. The guide shows no `listen`: this one binds loopback.
// express-session keeps its defaults (the in-memory store; it warns that resave and
// saveUninitialized are not set, as the guide leaves them).

import { handleAuthRoutes, withLogto } from '@logto/express';
import cookieParser from 'cookie-parser';
import express from 'express';
import session from 'express-session';

const config = {
  appId: process.env.LOGTO_APP_ID,
  appSecret: process.env.LOGTO_APP_SECRET,
  endpoint: process.env.LOGTO_ENDPOINT, // E.g. http://localhost:3001
  baseUrl: process.env.BASE_URL, // E.g. http://localhost:3000
};

const app = express();

app.use(cookieParser());
app.use(
  session({
    secret: 'random_session_key', // Replace with your own secret
    cookie: { maxAge: 14 * 24 * 60 * 60 * 1000 }, // In miliseconds
  })
);

app.use(handleAuthRoutes(config));

app.get('/', withLogto(config), (req, res) => {
  res.setHeader('content-type', 'text/html');

  if (req.user.isAuthenticated) {
    res.end(`<div>Hello ${req.user.claims?.sub}, <a href="/logto/sign-out">Sign Out</a></div>`);
  } else {
    res.end('<div><a href="/logto/sign-in">Sign In</a></div>');
  }
});

app.get('/user', withLogto(config), (req, res) => {
  res.json(req.user.claims);
});

const port = Number(process.env.PORT || 3400);
app.listen(port, '127.0.0.1', () => {
  console.log(`express reference app listening on http://127.0.0.1:${port}`);
});
