/**
 * UI steps of the outreach end-to-end tests (Chromium through playwright-core), named by what
 * the user does: sign in, connect a mailbox, create a campaign.
 */
import type { Page } from 'playwright-core'

/** Signs in through the login page and waits for the dashboard. */
export async function signIn(p: Page, url: string, user: { email: string; password: string }) {
  await p.goto(`${url}/login`)
  await p.fill('#email', user.email)
  await p.fill('#password', user.password)
  await p.click('button[type=submit]')
  await p.waitForURL(`${url}/`)
}

/**
 * Connects a mailbox in the UI (`/outreach/mailboxes/new`) and returns its ID once its page
 * is open (the connection test starts on its own there). IMAP is left out unless given.
 */
export async function createMailbox(
  p: Page,
  url: string,
  m: {
    name: string
    from: string
    smtp: { host: string; port: number; user?: string; pass?: string }
    /** `secure: false` for a plain-text IMAP server (the test Dovecot). */
    imap?: { host: string; port: number; user: string; pass: string; secure?: boolean }
  },
): Promise<string> {
  await p.goto(`${url}/outreach/mailboxes/new`)
  await p.getByTestId('mailbox-form').waitFor()
  await p.fill('#m-name', m.name)
  await p.fill('#m-from', m.from)
  await p.fill('#m-smtp-host', m.smtp.host)
  await p.fill('#m-smtp-port', String(m.smtp.port))
  if (m.smtp.user) await p.fill('#m-smtp-user', m.smtp.user)
  if (m.smtp.pass) await p.fill('#m-smtp-password', m.smtp.pass)
  if (m.imap) {
    await p.fill('#m-imap-host', m.imap.host)
    await p.fill('#m-imap-port', String(m.imap.port))
    await p.fill('#m-imap-user', m.imap.user)
    await p.fill('#m-imap-password', m.imap.pass)
    if (m.imap.secure === false) await p.getByLabel('Secure — TLS (port 993).').uncheck()
  }
  await p.getByRole('button', { name: 'Save mailbox' }).click()
  await p.waitForURL(/\/outreach\/mailboxes\/[0-9a-f-]{36}$/)
  return p.url().split('/').at(-1)!
}

/**
 * Fills the campaign form (`/outreach/campaigns/new`, already open) and creates the campaign;
 * returns its ID once its page is open. The mailbox is preselected when there is only one.
 */
export async function createCampaign(
  p: Page,
  c: {
    name: string
    keywords: string[]
    subject?: string
    body?: string
    footer: string
    mailbox?: string
    /** Creators per run, the zone and the sending window (`HH:MM`); the form's defaults otherwise. */
    quota?: number
    timezone?: string
    window?: [string, string]
  },
): Promise<string> {
  await p.getByTestId('campaign-form').waitFor()
  await p.fill('#c-name', c.name)
  for (const k of c.keywords) {
    await p.fill('#c-keywords', k)
    await p.press('#c-keywords', 'Enter')
  }
  if (c.subject !== undefined) await p.fill('#c-subject', c.subject)
  if (c.body !== undefined) await p.fill('#c-body', c.body)
  await p.fill('#c-footer', c.footer)
  if (c.mailbox) await p.selectOption('#c-mailbox', c.mailbox)
  if (c.quota !== undefined) await p.fill('#c-quota', String(c.quota))
  if (c.timezone) await p.fill('#c-tz', c.timezone)
  if (c.window) {
    await p.fill('#c-start', c.window[0])
    await p.fill('#c-end', c.window[1])
  }
  await p.getByRole('button', { name: 'Create campaign' }).click()
  await p.waitForURL(/\/outreach\/campaigns\/[0-9a-f-]{36}$/)
  return p.url().split('/').at(-1)!
}
