CREATE TABLE "outreach_campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"criteria" jsonb NOT NULL,
	"recurring" boolean DEFAULT true NOT NULL,
	"max_runs" integer DEFAULT 30 NOT NULL,
	"run_count" integer DEFAULT 0 NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"mailbox_id" uuid NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"window_start_min" integer DEFAULT 540 NOT NULL,
	"window_end_min" integer DEFAULT 1020 NOT NULL,
	"daily_quota" integer DEFAULT 50 NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"footer_address" text NOT NULL,
	"stop_on_auto_reply" boolean DEFAULT false NOT NULL,
	"last_run_at" timestamp (3) with time zone,
	"completed_at" timestamp (3) with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outreach_creators" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"platform" text NOT NULL,
	"external_id" text NOT NULL,
	"handle" text NOT NULL,
	"full_name" text DEFAULT '' NOT NULL,
	"followers" bigint,
	"profile" jsonb NOT NULL,
	"email" text,
	"email_status" text DEFAULT 'pending' NOT NULL,
	"campaign_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outreach_creators_workspace_external" UNIQUE("workspace_id","platform","external_id")
);
--> statement-breakpoint
CREATE TABLE "outreach_emails" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"mailbox_id" uuid NOT NULL,
	"to_email" text NOT NULL,
	"subject" text NOT NULL,
	"body_text" text NOT NULL,
	"message_id" text NOT NULL,
	"scheduled_at" timestamp (3) with time zone NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"claimed_at" timestamp (3) with time zone,
	"sent_at" timestamp (3) with time zone,
	"smtp_response" text,
	"error" text,
	"charged" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outreach_emails_message_id_unique" UNIQUE("message_id"),
	CONSTRAINT "outreach_emails_workspace_creator" UNIQUE("workspace_id","creator_id")
);
--> statement-breakpoint
CREATE TABLE "outreach_enrichments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"submitted_at" timestamp (3) with time zone NOT NULL,
	"answered_at" timestamp (3) with time zone,
	"result" jsonb
);
--> statement-breakpoint
CREATE TABLE "outreach_mailboxes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"from_email" text NOT NULL,
	"from_name" text DEFAULT '' NOT NULL,
	"smtp_host" text NOT NULL,
	"smtp_port" integer NOT NULL,
	"smtp_secure" boolean DEFAULT false NOT NULL,
	"smtp_user" text DEFAULT '' NOT NULL,
	"smtp_password_sealed" text,
	"imap_host" text,
	"imap_port" integer,
	"imap_secure" boolean DEFAULT true NOT NULL,
	"imap_user" text,
	"imap_password_sealed" text,
	"daily_cap" integer DEFAULT 200 NOT NULL,
	"min_gap_seconds" integer DEFAULT 60 NOT NULL,
	"imap_uid_validity" bigint,
	"imap_last_uid" bigint DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'ok' NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outreach_replies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"mailbox_id" uuid NOT NULL,
	"email_id" uuid,
	"campaign_id" uuid,
	"message_id" text NOT NULL,
	"uid" bigint,
	"from_email" text DEFAULT '' NOT NULL,
	"subject" text DEFAULT '' NOT NULL,
	"body_text" text DEFAULT '' NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	"kind" text NOT NULL,
	"evidence" jsonb NOT NULL,
	"override_kind" text,
	"charged" boolean DEFAULT false NOT NULL,
	"charged_day" text,
	"uncharged_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outreach_replies_workspace_message" UNIQUE("workspace_id","message_id")
);
--> statement-breakpoint
CREATE TABLE "outreach_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"run_number" integer NOT NULL,
	"run_date" text NOT NULL,
	"status" text DEFAULT 'discovering' NOT NULL,
	"creators_found" integer DEFAULT 0 NOT NULL,
	"emails_found" integer DEFAULT 0 NOT NULL,
	"emails_sent" integer DEFAULT 0 NOT NULL,
	"credits_used" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp (3) with time zone NOT NULL,
	"finished_at" timestamp (3) with time zone,
	CONSTRAINT "outreach_runs_campaign_date" UNIQUE("campaign_id","run_date"),
	CONSTRAINT "outreach_runs_campaign_number" UNIQUE("campaign_id","run_number")
);
--> statement-breakpoint
CREATE TABLE "outreach_settings" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"plan" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outreach_suppressions" (
	"workspace_id" uuid NOT NULL,
	"email" text NOT NULL,
	"reason" text NOT NULL,
	"detail" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outreach_suppressions_workspace_id_email_pk" PRIMARY KEY("workspace_id","email")
);
--> statement-breakpoint
ALTER TABLE "outreach_campaigns" ADD CONSTRAINT "outreach_campaigns_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_campaigns" ADD CONSTRAINT "outreach_campaigns_mailbox_id_outreach_mailboxes_id_fk" FOREIGN KEY ("mailbox_id") REFERENCES "public"."outreach_mailboxes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_creators" ADD CONSTRAINT "outreach_creators_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_creators" ADD CONSTRAINT "outreach_creators_campaign_id_outreach_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."outreach_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_emails" ADD CONSTRAINT "outreach_emails_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_emails" ADD CONSTRAINT "outreach_emails_campaign_id_outreach_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."outreach_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_emails" ADD CONSTRAINT "outreach_emails_creator_id_outreach_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."outreach_creators"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_enrichments" ADD CONSTRAINT "outreach_enrichments_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_enrichments" ADD CONSTRAINT "outreach_enrichments_creator_id_outreach_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."outreach_creators"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_mailboxes" ADD CONSTRAINT "outreach_mailboxes_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_replies" ADD CONSTRAINT "outreach_replies_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_replies" ADD CONSTRAINT "outreach_replies_email_id_outreach_emails_id_fk" FOREIGN KEY ("email_id") REFERENCES "public"."outreach_emails"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_runs" ADD CONSTRAINT "outreach_runs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_runs" ADD CONSTRAINT "outreach_runs_campaign_id_outreach_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."outreach_campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_settings" ADD CONSTRAINT "outreach_settings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outreach_suppressions" ADD CONSTRAINT "outreach_suppressions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "outreach_campaigns_workspace" ON "outreach_campaigns" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "outreach_campaigns_active" ON "outreach_campaigns" USING btree ("is_active");--> statement-breakpoint
CREATE INDEX "outreach_creators_run" ON "outreach_creators" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "outreach_creators_campaign" ON "outreach_creators" USING btree ("campaign_id","email_status");--> statement-breakpoint
CREATE INDEX "outreach_creators_email" ON "outreach_creators" USING btree ("workspace_id","email");--> statement-breakpoint
CREATE INDEX "outreach_emails_due" ON "outreach_emails" USING btree ("status","scheduled_at");--> statement-breakpoint
CREATE INDEX "outreach_emails_campaign" ON "outreach_emails" USING btree ("campaign_id","scheduled_at");--> statement-breakpoint
CREATE INDEX "outreach_emails_creator" ON "outreach_emails" USING btree ("creator_id");--> statement-breakpoint
CREATE INDEX "outreach_emails_mailbox" ON "outreach_emails" USING btree ("mailbox_id","claimed_at");--> statement-breakpoint
CREATE INDEX "outreach_emails_run" ON "outreach_emails" USING btree ("run_id","status");--> statement-breakpoint
CREATE INDEX "outreach_enrichments_run" ON "outreach_enrichments" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "outreach_mailboxes_workspace" ON "outreach_mailboxes" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "outreach_replies_workspace" ON "outreach_replies" USING btree ("workspace_id","received_at");--> statement-breakpoint
CREATE INDEX "outreach_runs_workspace" ON "outreach_runs" USING btree ("workspace_id","started_at");