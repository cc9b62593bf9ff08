CREATE TABLE "visitor_daily" (
	"project_id" uuid NOT NULL,
	"day" text NOT NULL,
	"visits" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "visitor_daily_project_id_day_pk" PRIMARY KEY("project_id","day")
);
--> statement-breakpoint
CREATE TABLE "visitor_hosts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"host" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"method" text,
	"verified_at" timestamp (3) with time zone,
	"checked_at" timestamp (3) with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "visitor_hosts_workspace_host" UNIQUE("workspace_id","host")
);
--> statement-breakpoint
CREATE TABLE "visitor_projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'stopped' NOT NULL,
	"pause_reason" text,
	"plan_type" text DEFAULT 'Custom' NOT NULL,
	"daily_limit" integer DEFAULT 0 NOT NULL,
	"total_target" bigint DEFAULT 0 NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"settings" jsonb NOT NULL,
	"visits_done" bigint DEFAULT 0 NOT NULL,
	"hold_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "visitor_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"stopped_at" timestamp (3) with time zone,
	"stop_reason" text,
	"visits" bigint DEFAULT 0 NOT NULL,
	"failed" bigint DEFAULT 0 NOT NULL,
	"dropped" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "visitor_daily" ADD CONSTRAINT "visitor_daily_project_id_visitor_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."visitor_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visitor_hosts" ADD CONSTRAINT "visitor_hosts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visitor_projects" ADD CONSTRAINT "visitor_projects_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visitor_runs" ADD CONSTRAINT "visitor_runs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "visitor_runs" ADD CONSTRAINT "visitor_runs_project_id_visitor_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."visitor_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "visitor_projects_workspace" ON "visitor_projects" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "visitor_projects_status" ON "visitor_projects" USING btree ("status");--> statement-breakpoint
CREATE INDEX "visitor_runs_project" ON "visitor_runs" USING btree ("project_id","started_at");